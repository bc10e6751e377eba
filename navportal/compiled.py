"""A query the ORM compiles once per process and database, then runs with a new value each time.

The signed-in user is read on every request (navportal.auth.ScopedModelBackend.get_user): the user with their
unit (four outer joins), the unread count and the confirmed TOTP device (two subqueries). Profiled on the bench's
data, PostgreSQL ran it in 0.3 ms while Django spent 1.4 ms of CPU building the queryset and compiling the same SQL
again on every request — a third of the cost of a nearly empty signed-in page. A CompiledQuery builds the queryset
once, with a placeholder for the one value that changes, keeps its SQL and its compiler, and on each call only
executes the SQL and turns the row into model instances the way the ORM's own iterator does: the same columns, the
same converters (decryption included), the same related objects and annotations.

Only for a query whose SQL depends on nothing but its one value, or on nothing at all (a list read on every page:
the queue's choices, the final list's confirmed notices) — no clock, no language, no settings read while it is
built: the SQL is kept for the life of the process.

On PostgreSQL (and a compatible database that takes PREPARE: navportal.dbfeatures) the statement is also prepared,
once per database session (PREPARE … EXECUTE): PostgreSQL then plans the four joins and two subqueries once
instead of on every request (measured: 0.53 → 0.09 ms a run). A pooler in
front of PostgreSQL that hands a session's statements to another session (PgBouncer in transaction mode) breaks
prepared statements: set DATABASE_PREPARED_STATEMENTS=0 there (docs/deployment.md).
"""

import copy
import re

from django.conf import settings
from django.db import connections
from django.db.models.query import get_related_populators

from .dbfeatures import prepared_statements

# Stands for the value while the SQL is compiled; found again among the compiled parameters. An integer no primary
# key reaches, and no other parameter of a query here equals.
PLACEHOLDER = -7_340_275_013_001


class CompiledQuery:
    """`build(value)`: the queryset for `value` (evaluated once, with PLACEHOLDER); `name`: the statement's (unique
    among them). `.get(value)`: its one object, or None. A query of no value (`build` ignores its argument, and the
    SQL holds no PLACEHOLDER): `.list()`, all its objects in its order; of one value: `.list(value)`, all the
    objects for `value` (an application's versions). `.count()` / `.count(value)`: how many `.list` would give."""

    def __init__(self, build, name):
        self.build = build
        self.name = f"navportal_{name}"  # the prepared statement's, on PostgreSQL
        self._compiled = {}
        self._reading = {}
        self._prepared = set()

    def _compile(self, using):
        compiled = self._compiled.get(using)
        if compiled is None:
            queryset = self.build(PLACEHOLDER)
            compiler = queryset.query.get_compiler(using)
            sql, params = compiler.as_sql()
            if list(params).count(PLACEHOLDER) > 1:
                raise ValueError("a compiled query takes one value at most")
            compiled = self._compiled[using] = (queryset.model, compiler, sql, tuple(params),
                                                list(params).index(PLACEHOLDER) if PLACEHOLDER in params else None)
        return compiled

    def sql(self, using="default"):
        """The SQL it runs (on PostgreSQL, as the statement EXECUTE {name}(…) names)."""
        return self._compile(using)[2]

    def _execute(self, cursor, connection, sql, args, name=None):
        name = name or self.name
        if not getattr(settings, "DATABASE_PREPARED_STATEMENTS", True) or not prepared_statements(connection):
            cursor.execute(sql, args)
            return
        # One PostgreSQL session is one raw connection with one backend process; a statement prepared in it lives
        # until it ends (Django opens a new one after CONN_MAX_AGE or an error).
        raw = connection.connection
        session = (id(raw), raw.info.backend_pid, name)
        execute = f"EXECUTE {name}({', '.join(['%s'] * len(args))})" if args else f"EXECUTE {name}"
        if session in self._prepared:
            cursor.execute(execute, args)
            return
        # Prepared and run in one round trip (and one statement for whoever counts them): the query's parameters
        # become $1, $2 … (a literal %% stays escaped for the arguments of EXECUTE, which are passed alongside).
        numbers = iter(range(1, len(args) + 1))
        statement = re.sub(r"%s|%%", lambda m: f"${next(numbers)}" if m.group() == "%s" else "%%", sql)
        cursor.execute(f"PREPARE {name} AS {statement}; {execute}", args)
        self._prepared.add(session)

    def get(self, value, using="default"):
        model, compiler, sql, params, at = self._compile(using)
        if at is None:
            raise ValueError("a query of no value is read with .list()")
        connection = connections[using]
        with connection.cursor() as cursor:
            self._execute(cursor, connection, sql, (*params[:at], value, *params[at + 1:]))
            rows = cursor.fetchmany(2)
        if not rows:
            return None
        if len(rows) > 1:
            raise model.MultipleObjectsReturned(f"more than one {model.__name__} for {value!r}")
        return self._objects(model, compiler, rows, using)[0]

    def _all(self, value, using, verb, wrap=None):
        """(model, compiler, every row) of the query for `value` (None for a query of no value), or of `wrap` made of
        its SQL (a statement of its own, prepared beside the query's)."""
        model, compiler, sql, params, at = self._compile(using)
        if (at is None) != (value is None):
            raise ValueError(f"a query of one value is asked .{verb}(value), one of no value .{verb}()")
        if at is not None:
            params = (*params[:at], value, *params[at + 1:])
        connection = connections[using]
        with connection.cursor() as cursor:
            if wrap is None:
                self._execute(cursor, connection, sql, params)
            else:
                self._execute(cursor, connection, wrap.format(sql=sql), params, f"{self.name}_{verb}")
            return model, compiler, cursor.fetchall()

    def list(self, value=None, using="default"):
        """Every object of the query, in its order: of a query of no value, or of one for `value` (never None)."""
        model, compiler, rows = self._all(value, using, "list")
        return self._objects(model, compiler, rows, using)

    def count(self, value=None, using="default"):
        """How many objects `.list(value)` would return, counted by the database: for a count shown on every page,
        where the rows are not."""
        _model, _compiler, rows = self._all(value, using, "count", wrap="SELECT COUNT(*) FROM ({sql}) AS counted")
        return rows[0][0]

    def _objects(self, model, compiler, rows, using):
        # As django.db.models.query.ModelIterable does with the rows it fetched, through a copy of the compiler
        # given this thread's connection (the converters are handed it; each thread of a threaded server has its
        # own). What the ORM works out again for every query — the columns' converters, the related objects'
        # populators, the attribute names — is worked out once, like the SQL.
        compiler = copy.copy(compiler)
        compiler.connection = connections[using]
        reading = self._reading.get(using)
        if reading is None:
            select, klass_info = compiler.select, compiler.klass_info
            start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
            fields = [column[0] for column in select[:compiler.col_count]]
            if compiler.has_composite_fields(fields):
                raise ValueError("a compiled query reads no composite field")
            reading = self._reading[using] = (
                start, end, [column[0].target.attname for column in select[start:end]],
                get_related_populators(klass_info, select, using), compiler.get_converters(fields),
                compiler.annotation_col_map or {})
        start, end, names, populators, converters, annotations = reading
        objects = []
        for row in compiler.apply_converters(rows, converters) if converters else rows:
            obj = model.from_db(using, names, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in annotations.items():
                setattr(obj, name, row[position])
            objects.append(obj)
        return objects
