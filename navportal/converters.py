"""The path converter for ids: `<id:pk>`, used for every id in every URLconf.

Django's `int` converter passes any run of digits, and an id the database cannot hold then fails inside the
query (SQLite raises OverflowError: a 500). An id here is what a primary key can be — 0 to 2^63 − 1, the
largest value of a 64-bit signed integer (PostgreSQL's bigint, SQLite's INTEGER) — and anything larger does
not match the URL at all, so it answers 404 like any other id that does not exist.
"""

from django.urls import register_converter

MAX_ID = 2**63 - 1


class IdConverter:
    regex = "[0-9]{1,19}"  # 2^63 − 1 has 19 digits; to_python refuses the 19-digit values above it

    def to_python(self, value):
        number = int(value)
        if number > MAX_ID:
            raise ValueError("beyond the largest id")  # Django: the URL does not match
        return number

    def to_url(self, value):
        return str(value)


def register_id_converter():
    register_converter(IdConverter, "id")
