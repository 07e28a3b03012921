"""Flags keep their sources by id (Flag.source_ids); flags raised before get them from their
English text (Flag.source), read with the citations as the rules wrote them when the ids were
introduced (a copy: later wordings in tracker/rules.py do not change what this reads)."""

from django.db import migrations, models

CTCAE = "NCI CTCAE v5.0"
DERIVED = " (derived, needs clinical review)"
# Each citation the rules wrote, by the id they give it now (tracker/rules.py, FLAG_SOURCES).
CITATIONS = {
    "basch_2021": "Basch et al., Clin Trials 2021 (PRO-CTCAE composite grading)",
    "proleukin_2023_table_2": "Proleukin label 2023, Table 2",
    "dutcher_2014_table_3": "Dutcher et al., J Immunother Cancer 2014;2:26, Table 3",
    "springerplus_2015_table_1": "SpringerPlus 2015, Table 1",
    "astct_crs": "ASTCT CRS consensus grading (hypotension = SBP < 90 mmHg)",
    "catalog_listed": "Therapy catalog: side effects listed for the agent",
    "basch_2016": "Basch et al., J Clin Oncol 2016 (alerts on worsening symptoms)",
    "il6_boxed_warnings": "Actemra and Kevzara boxed warnings (serious infections)",
    "berman_2021": "Berman et al., Life 2021 (CRP stays low in serious infection on tocilizumab)",
    "proleukin_boxed_neurologic": "Proleukin boxed warning (neurologic toxicity)",
    "proleukin_boxed_capillary_leak": "Proleukin boxed warning (capillary leak syndrome)",
    "home_red_flags": "Home red-flag thresholds, reference/domain.md §5.3 and §4.7",
    "ctcae_hemorrhage": f"{CTCAE} hemorrhage terms (graded by site)",
    "pro_ctcae_presence": "PRO-CTCAE presence item (not graded)",
    "ctcae_v5": CTCAE,
}
# What a citation says there: joined to the citation before it.
NOTES = {
    "frank_blood_absolute": " (frank blood: absolute criterion)",
    "hallucinations_absolute": " (hallucinations: absolute criterion)",
    "moderate_confusion_withhold": " (moderate confusion: withhold)",
    "pulse_oximeter": " (pulse oximeter < 88 %)",
    "febrile_neutropenia_definition": (
        " (ANC < 1000/mm³ with a single temperature > 38.3 °C or ≥ 38.0 °C sustained over 1 h)"
    ),
    "derived": DERIVED,
}
TERM_PREFIX = f"{CTCAE} – "
# The CTCAE term the rules cite that is not in the catalog's vocabulary.
OTHER_TERMS = {"Febrile neutropenia": "febrile_neutropenia"}
FEBRILE_NEUTROPENIA = TERM_PREFIX + "Febrile neutropenia" + NOTES["febrile_neutropenia_definition"]


def _english(ids, names):
    """The English text of `ids` as the rules write it (names: term slug -> English name)."""
    text = ""
    for id_ in ids:
        if id_ in NOTES:
            text += NOTES[id_]
            continue
        if id_.startswith("ctcae:"):
            words = TERM_PREFIX + names[id_[len("ctcae:") :]]
        elif id_.startswith("catalog:"):
            words = id_[len("catalog:") :]
        else:
            words = CITATIONS[id_]
        text += f"; {words}" if text else words
    return text


def _next(rest, after_separator, slugs):
    """The citation `rest` starts with: (id, its length), or None."""
    found = []
    if not after_separator:
        found += [(id_, words) for id_, words in NOTES.items() if rest.startswith(words)]
    else:
        if rest.startswith(TERM_PREFIX):
            after = rest[len(TERM_PREFIX) :]
            for name in sorted(slugs, key=len, reverse=True):
                tail = after[len(name) :]
                if after.startswith(name) and (not tail or tail[:1] == ";" or tail[:2] == " ("):
                    return f"ctcae:{slugs[name]}", len(TERM_PREFIX) + len(name)
        found += [(id_, words) for id_, words in CITATIONS.items() if rest.startswith(words)]
    if not found:
        return None
    id_, words = max(found, key=lambda pair: len(pair[1]))
    return id_, len(words)


def ids_from_source(text, slugs):
    """A flag's source ids read from its English text, or [] if any of it is not a known
    citation. slugs: CTCAE term name (English) -> slug."""
    slugs = {**slugs, **OTHER_TERMS}
    names = {slug: name for name, slug in slugs.items()}
    ids = []
    # A fever on a therapy with a fever escalation risk cites the catalog's own reason.
    if text.startswith(FEBRILE_NEUTROPENIA + "; ") and text.endswith(DERIVED):
        reason = text[len(FEBRILE_NEUTROPENIA) + 2 : -len(DERIVED)]
        if reason:
            ids = ["ctcae:febrile_neutropenia", "febrile_neutropenia_definition"]
            ids += [f"catalog:{reason}", "derived"]
    else:
        rest, after_separator = text, True
        while rest:
            found = _next(rest, after_separator, slugs)
            if found is None:
                if ids and rest.startswith("; "):
                    rest, after_separator = rest[2:], True
                    continue
                return []
            ids.append(found[0])
            rest, after_separator = rest[found[1] :], False
    # Only ids that give back the very same text are kept.
    return ids if ids and _english(ids, names) == text else []


def fill_source_ids(apps, schema_editor):
    """One pass per table: the distinct source texts are few (the rules' citations), so their
    ids are worked out once and written by one UPDATE with a CASE on the text, each row written
    once (a network's millions of flags in minutes, not an UPDATE and a scan per text)."""
    terms = apps.get_model("therapies", "SideEffectTerm")
    slugs = dict(terms.objects.values_list("ctcae_term", "slug"))
    for name in ("Flag", "HistoricalFlag"):
        model = apps.get_model("tracker", name)
        texts = model.objects.filter(source_ids=[]).values_list("source", flat=True).distinct()
        found = {text: ids for text in list(texts) if (ids := ids_from_source(text, slugs))}
        if not found:
            continue
        model.objects.filter(source_ids=[], source__in=list(found)).update(
            source_ids=models.Case(
                *(
                    models.When(source=text, then=models.Value(ids, models.JSONField()))
                    for text, ids in found.items()
                ),
                output_field=models.JSONField(),
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0019_fast_writes_write_window_version"),
        ("therapies", "0005_clinical_words_french_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="flag",
            name="source_ids",
            field=models.JSONField(blank=True, default=list, verbose_name="source ids"),
        ),
        migrations.AddField(
            model_name="historicalflag",
            name="source_ids",
            field=models.JSONField(blank=True, default=list, verbose_name="source ids"),
        ),
        migrations.RunPython(fill_source_ids, migrations.RunPython.noop),
    ]
