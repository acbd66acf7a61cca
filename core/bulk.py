"""Writing many rows at once: PostgreSQL COPY where the database is PostgreSQL, bulk_create elsewhere; reading many
as the driver returns them; and computing many without the garbage collector rescanning them."""

import contextlib
import gc
import io
import re

import orjson
from django.core.exceptions import EmptyResultSet
from django.db import connection, connections

COPY_CHUNK = 100_000


def copy_rows(table: str, columns: list[str], rows) -> int:
    """COPY rows (tuples of database values; None → NULL) into a PostgreSQL table, COPY_CHUNK rows a statement,
    inside the caller's transaction; returns how many.

    In COPY's text format, which escapes only backslashes and line and field breaks: JSON, whose quotes the csv
    format would double, is sent as it is (a national recompute's ~120 MB of it: 0.5 s written, not 2)."""
    n, chunk = 0, []
    for row in rows:
        chunk.append(row)
        if len(chunk) == COPY_CHUNK:
            n += _copy_chunk(table, columns, chunk)
            chunk = []
    return n + (_copy_chunk(table, columns, chunk) if chunk else 0)


# What COPY's text format escapes in a value, and how.
_SPECIAL = re.compile(r"[\\\t\n\r]")
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_ESCAPES) if _SPECIAL.search(value) else value
    return str(value)


def _copy_chunk(table: str, columns: list[str], rows: list) -> int:
    buffer = io.StringIO("".join("\t".join([_copy_text(v) for v in row]) + "\n" for row in rows))
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
    return len(rows)


def insert_rows(model, fields: list[str], rows: list[tuple], *, ids: bool = False) -> list[int] | None:
    """Insert rows of `model` given as tuples of Python values in the order of `fields` (a foreign key by its id):
    COPY on PostgreSQL (a value is written as psycopg2 would send it: Decimal, int, text and dates as their
    text, JSON dumped), bulk_create of the model's objects elsewhere. Every column is given: a model's defaults
    are not applied. With `ids`: returns the new rows' ids in order (taken from the table's sequence first on
    PostgreSQL, as COPY returns nothing)."""
    meta = [model._meta.get_field(name) for name in fields]
    if connection.vendor != "postgresql":
        names = [f.attname for f in meta]
        made = model.objects.bulk_create([model(**dict(zip(names, row, strict=True))) for row in rows], batch_size=5000)
        return [obj.pk for obj in made] if ids else None
    dumped = {n: f.encoder for n, f in enumerate(meta) if f.get_internal_type() == "JSONField"}
    if dumped:
        rows = [tuple(_json(v, dumped[n]) if n in dumped else v for n, v in enumerate(row)) for row in rows]
    columns, table, new = [f.column for f in meta], model._meta.db_table, None
    if ids:
        pk = model._meta.pk.column
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, len(rows)])
            new = [row[0] for row in cursor.fetchall()]
        columns, rows = [pk, *columns], [(n, *row) for n, row in zip(new, rows, strict=True)]
    copy_rows(table, columns, rows)
    return new


def _json(value, encoder):
    """A JSONField's value as its JSON text (orjson: ~10× the json module, which took ~2 s of a national recompute's
    54,000 branch scores); the field's encoder, if any, for what JSON has no type of its own."""
    if value is None:
        return None
    return orjson.dumps(value, default=encoder().default if encoder else None, option=orjson.OPT_NON_STR_KEYS).decode()


def delete_rows(model, pks: list[int]) -> None:
    """Delete rows of `model` by id in one statement, without the ORM's cascade collection (the caller has
    deleted what refers to them, and no signal listens): a superseded run's branch scores."""
    if not pks:
        return
    with connection.cursor() as cursor:
        table, pk = connection.ops.quote_name(model._meta.db_table), connection.ops.quote_name(model._meta.pk.column)
        for start in range(0, len(pks), 10_000):
            chunk = pks[start : start + 10_000]
            cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({', '.join(['%s'] * len(chunk))})", chunk)


def raw_values(queryset) -> list[tuple]:
    """The rows of a `values_list` queryset as the database driver returns them: the ORM's converters, a few
    function calls per value (~1 s of a national recompute's 700,000 figures), are left to the caller, which
    makes its own ints of every value (a number may come as an int, a Decimal or a float, a month as a number)."""
    compiler = queryset.query.get_compiler(queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:  # a filter no row can pass (`__in` an empty list): the ORM answers [] without asking
        return []
    width = len(queryset._fields)
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return [row[:width] for row in cursor.fetchall()]


@contextlib.contextmanager
def collector_paused():
    """Python's cyclic garbage collector paused for a bulk computation.

    A national recompute makes millions of short-lived objects; each of the collector's passes over a heap that size
    scanned everything alive, ~10 of a 40-second run (kpi.services.recompute_schemes). Reference counting still frees
    nearly everything as it goes; what only the collector frees waits for its next pass after the computation."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
