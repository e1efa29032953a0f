"""Receipt numbers (收件编号) people can read aloud: ``20261127-0042-7``.

The date, the day's sequence, and a Luhn check digit that catches a single mistyped or two
swapped digits when a number is read over the phone. The sequence comes from a per-day
counter row incremented under a lock inside the caller's transaction, so concurrent
submissions never share a number and a number is never issued twice."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, connection, transaction

from lianban.applications.models import ReceiptCounter


def luhn_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def format_number(day: dt.date, sequence: int) -> str:
    body = f"{day:%Y%m%d}{sequence:04d}"
    return f"{day:%Y%m%d}-{sequence:04d}-{luhn_digit(body)}"


def is_valid(number: str) -> bool:
    parts = number.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[2]) != 1:
        return False
    return luhn_digit(parts[0] + parts[1]) == parts[2]


def next_receipt_number(day: dt.date) -> str:
    """Take the next number of ``day``. Call inside the transaction that uses it.

    One statement on every submission but the day's first: the counter's row is locked,
    raised and read back by the same UPDATE."""
    sequence = _take(day)
    if sequence is None:
        try:
            with transaction.atomic():
                ReceiptCounter.objects.create(day=day, last=0)
        except IntegrityError:
            pass  # another submission created the day's row first
        sequence = _take(day)
    assert sequence is not None
    return format_number(day, sequence)


def _take(day: dt.date) -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ReceiptCounter._meta.db_table} SET last = last + 1 WHERE day = %s "
            "RETURNING last",
            [connection.ops.adapt_datefield_value(day)],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])
