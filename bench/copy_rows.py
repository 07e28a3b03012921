"""Seeding through PostgreSQL's COPY: the same rows as the prepared INSERTs, several times faster.

`python -m bench.seed_copy` runs the seeding with it (bench/seed_copy.py).

`seed_scale` builds each table's rows in Python and hands them to an inserter; on PostgreSQL
the rows go through `COPY … FROM STDIN` (psycopg's `cursor.copy()`, text format, each value
adapted by psycopg's own dumpers) instead of `executemany`. Same rows, same transactions (one
per batch of patients), same values: the inserter only changes how they travel. SQLite keeps
the prepared INSERTs (it has no COPY, and its inserts are in-process anyway).
"""

from __future__ import annotations

try:  # the seeding logic, in bench/ (or tracker/ before it moved there)
    from bench import scale
except ImportError:
    from tracker import scale


class CopyInserter(scale.Inserter):
    """`scale.Inserter` with COPY on PostgreSQL (psycopg 3); INSERTs elsewhere."""

    def _execute(self, model, fields, value_rows):
        if self.connection.vendor != "postgresql":
            return super()._execute(model, fields, value_rows)
        _insert_sql, converters = self._plan(model, fields)
        pairs = [(i, c) for i, c in enumerate(converters) if c is not None]
        quote = self.connection.ops.quote_name
        sql = "COPY {} ({}) FROM STDIN".format(
            quote(model._meta.db_table), ", ".join(quote(field.column) for field, _ in fields)
        )
        with self.connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in value_rows:
                for i, convert in pairs:
                    row[i] = convert(row[i])
                copy.write_row(row)
        return None


def use_copy():
    """Make `scale.seed` insert through COPY (on PostgreSQL; a no-op elsewhere)."""
    scale.Inserter = CopyInserter
