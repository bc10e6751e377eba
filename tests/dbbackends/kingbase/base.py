"""A stand-in for a KingbaseES Django adapter: PostgreSQL's own backend presenting another vendor name, as a
vendor's adapter built on it does. The tests run it against the real PostgreSQL server to show that the portal
decides by what the database can do, not by the name its backend gives (navportal.dbfeatures)."""

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    vendor = "kingbase"
    display_name = "KingbaseES"
