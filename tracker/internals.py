"""The few places where speed work leans on private parts of Django, DRF and
django-simple-history, fenced here so that an upgrade breaks one module and its tests
(tests/tracker/test_internals.py), not a page in a clinic.

- `with_prefetched`: an API answer built from the objects a write just saved, without reading
  them back (Django's prefetch cache).
- `fields_built_once`: a read-only serializer builds its fields once per class (DRF builds
  them again for every instance, a third of the time of answering a report).
- `fix_judgement`: a flag raised by a bulk insert remembers its judgement as `Flag.save`
  and `Flag.from_db` leave it, so a later change of judgement is refused.
- `history_version_sql`: the chart cache's version, read from the history tables
  (django-simple-history's table and `history_id` column) in one query.

Every private name used is checked against the installed versions by the tests; the versions
they were last reviewed with are in REVIEWED_WITH. This module imports nothing from the project.
"""

import copy

# (Django major.minor, DRF major.minor, django-simple-history major.minor): the tests fail on
# any other, so that an upgrade looks at this module before it ships.
REVIEWED_WITH = ((5, 2), (3, 18), (3, 13))


def with_prefetched(instance, **related):
    """`instance` as `prefetch_related(*related)` leaves it, from objects already in hand:
    `instance.<name>.all()` then gives them without a query (as Django's prefetch does it)."""
    cache = instance.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, objects in related.items():
        queryset = getattr(instance, name).all()
        queryset._result_cache = list(objects)
        queryset._prefetch_done = True
        cache[name] = queryset
    return instance


def fields_built_once(serializer, build):
    """The fields of `serializer`, built by `build` (its ModelSerializer.get_fields) once per
    class; each instance gets its own copies, as DRF copies declared fields. Only for
    serializers whose fields depend on the class alone (Meta and declared fields)."""
    cls = type(serializer)
    if "_built_fields" not in cls.__dict__:
        cls._built_fields = build()
    return copy.deepcopy(cls._built_fields)


def fix_judgement(flag):
    """As `Flag.save` leaves a flag: its judgement fixed from now on (a bulk insert does not
    call save)."""
    flag._judgement = flag._current_judgement()


def history_version_sql(histories, tables, catalog_table):
    """One query over the history tables of `histories` ((model, where) pairs, `where` with
    one parameter and {name} placeholders filled from `tables`): per table, how many history
    rows and the newest; then the catalog's ids, order and names from `catalog_table`.
    Table names come from the models, never from input."""
    parts = [
        f"SELECT {index}, COUNT(*), MAX(history_id), NULL "  # noqa: S608 (table names, never input)
        f"FROM {model.history.model._meta.db_table} WHERE {where.format(**tables)}"
        for index, (model, where) in enumerate(histories)
    ]
    # The terms' names in both languages: a renamed term draws the charts again.
    parts.append(
        f"SELECT -1, id, sort_order, ctcae_term || '|' || ctcae_term_fr "  # noqa: S608
        f"FROM {catalog_table}"
    )
    return " UNION ALL ".join(parts)
