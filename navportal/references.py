"""Reference numbers (受理编号): short, unique, stable numbers an official can read over the telephone.

The shape is SERIES-YEAR-NNNNNN, e.g. SB-2026-000123 (the 123rd submission of 2026, China time). The series
are the apps' (SB 申报 for a submitted version, YY 异议 for an accepted objection); the core knows none of them.
"""

from django.db import transaction
from django.utils import timezone

from .models import ReferenceCounter

MAX_LENGTH = 20


def reference_take(series, *, now=None):
    """The next number of `series` in the year of `now`, taken inside the caller's transaction.

    The counter's row is locked until the caller commits, so two transactions can never take the same
    number (on SQLite the IMMEDIATE transaction serialises them anyway); a rolled-back caller gives its number
    back. Take it before the audit line: the counter row comes before the audit chain's head in every writer's
    lock order.
    """
    year = timezone.localdate(now or timezone.now()).year
    return reference_format(series, year, _advance(series, year, 1))


def reference_format(series, year, number):
    return f"{series}-{year}-{number:06d}"


def references_reserve(series, year, count):
    """`count` consecutive numbers of `series` in `year`, for a bulk import (the national-scale generator):
    taken in one step under the same lock as reference_take, so they never collide with numbers given meanwhile."""
    last = _advance(series, year, count)
    return [reference_format(series, year, number) for number in range(last - count + 1, last + 1)]


def _advance(series, year, count):
    """Moves the counter of `series` in `year` on by `count` and returns its last number, in one statement: the row
    is created at the first numbers, or its count moved on, and stays locked (by the insert or the update) until the
    caller commits. Both databases read the same upsert."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("a reference number is taken inside the transaction that creates its row")
    table = connection.ops.quote_name(ReferenceCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f'INSERT INTO {table} ("series", "year", "last") VALUES (%s, %s, %s) '
                       f'ON CONFLICT ("series", "year") DO UPDATE SET "last" = {table}."last" + %s RETURNING "last"',
                       [series, year, count, count])
        (last,) = cursor.fetchone()
    return last
