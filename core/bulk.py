"""Writing many rows at once: PostgreSQL COPY where the database is PostgreSQL, bulk_create elsewhere."""

import csv
import io
import json

from django.db import connection

COPY_CHUNK = 100_000


def copy_rows(table: str, columns: list[str], rows) -> int:
    """COPY rows (tuples of database values; None → NULL) into a PostgreSQL table, COPY_CHUNK rows a
    statement, inside the caller's transaction; returns how many."""
    n, chunk = 0, []
    for row in rows:
        chunk.append(row)
        if len(chunk) == COPY_CHUNK:
            n += _copy_chunk(table, columns, chunk)
            chunk = []
    return n + (_copy_chunk(table, columns, chunk) if chunk else 0)


def _copy_chunk(table: str, columns: list[str], rows: list) -> int:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(["\\N" if v is None else v for v in row])
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer)
    return len(rows)


def insert_rows(model, fields: list[str], rows: list[tuple]) -> int:
    """Insert rows of `model` given as tuples of Python values in the order of `fields` (a foreign key by its id),
    when no ids are needed back: COPY on PostgreSQL (a value is written as psycopg2 would send it: Decimal,
    int, text and dates as their text, JSON dumped), bulk_create of the model's objects elsewhere."""
    meta = [model._meta.get_field(name) for name in fields]
    if connection.vendor != "postgresql":
        names = [f.attname for f in meta]
        model.objects.bulk_create((model(**dict(zip(names, row, strict=True))) for row in rows), batch_size=5000)
        return len(rows)
    dumped = [n for n, f in enumerate(meta) if f.get_internal_type() == "JSONField"]
    if dumped:
        encoders = {n: meta[n].encoder for n in dumped}
        rows = ([json.dumps(v, cls=encoders[n], ensure_ascii=False) if n in encoders and v is not None else v
                 for n, v in enumerate(row)] for row in rows)
    return copy_rows(model._meta.db_table, [f.column for f in meta], rows)
