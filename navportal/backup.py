"""Backup and the restore drill (等保: data backup and recovery).

A backup is a folder: `db.dump` (pg_dump, custom format), `uploads.tar.gz` (the private upload folder) and
`manifest.json` with the SHA-256 of both, the row count of every table and the SHA-256 of every uploaded
file. The drill restores it into an empty PostgreSQL database and proves it whole: checksums, migrations,
row counts, the audit chain, and every file.

Both run on PostgreSQL or a compatible database (navportal.dbfeatures), with the PostgreSQL client tools on PATH:
without them, or with ones too old for the server, they refuse before doing anything, saying which.
"""

import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.utils import timezone

from .dbfeatures import client_tools_problems, postgresql_path

ROOT = Path(__file__).resolve().parent.parent


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _pg_env(settings_dict, name=None):
    env = {**os.environ, "PGHOST": settings_dict.get("HOST") or "127.0.0.1", "PGPORT": str(settings_dict.get("PORT")
                                                                                           or 5432),
           "PGUSER": settings_dict.get("USER") or "postgres", "PGDATABASE": name or settings_dict["NAME"]}
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    return env


def upload_root():
    return Path(settings.STORAGES["default"]["OPTIONS"]["location"])


def row_counts():
    counts = {}
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            if table in counts or not model._meta.managed:
                continue
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    return counts


def file_checksums(root):
    root = Path(root)
    if not root.exists():
        return {}
    return {str(path.relative_to(root)): sha256(path) for path in sorted(root.rglob("*")) if path.is_file()}


def refusal(env, tools):
    """Why a backup or a restore drill cannot run on this database with the client `tools` found on `env`'s PATH
    (one line each), or an empty list."""
    try:
        server = postgresql_path(connection)
    except ImproperlyConfigured as refused:  # a server database lacking a feature the portal needs
        return [str(refused)]
    if not server:
        return ["backups are taken from PostgreSQL or a PostgreSQL-compatible database (DATABASE_URL=postgres://…)"]
    return client_tools_problems(connection, env, tools)


def backup(target):
    """Write a backup of the current database and uploads into the folder `target`; return the manifest.
    RuntimeError, before anything is written, when refusal() names a reason."""
    problems = refusal(_pg_env(connection.settings_dict), ["pg_dump"])
    if problems:
        raise RuntimeError("; ".join(problems))
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    dump = target / "db.dump"
    dumped = subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}"],
                            env=_pg_env(connection.settings_dict), capture_output=True, text=True)
    if dumped.returncode != 0:
        raise RuntimeError(f"pg_dump failed: {dumped.stderr.strip()[:500]}")
    archive = target / "uploads.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        if upload_root().exists():
            tar.add(upload_root(), arcname="uploads")
    manifest = {"created_at": timezone.now().isoformat(), "db.dump": sha256(dump),
                "uploads.tar.gz": sha256(archive), "rows": row_counts(), "files": file_checksums(upload_root())}
    (target / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    return manifest


def restore_drill(source, scratch_name, key_file=None):
    """Restore the backup in `source` into a new, empty database `scratch_name` and check everything.

    The keys are not in the backup (navportal.keys): `key_file` names the key file kept apart from it, with which the
    restored audit chain is verified (default: the keys this process is configured with). Returns a list of problems
    (empty when the drill passed; the reasons of refusal() when it cannot run). The scratch database is dropped at
    the end.
    """
    env = _pg_env(connection.settings_dict, "postgres")
    problems = refusal(env, ["dropdb", "createdb", "pg_restore"])
    if problems:
        return problems
    source = Path(source)
    manifest = json.loads((source / "manifest.json").read_text())
    problems = [f"{name}: checksum differs" for name in ("db.dump", "uploads.tar.gz")
                if sha256(source / name) != manifest[name]]
    if problems:
        return problems
    subprocess.run(["dropdb", "--if-exists", scratch_name], env=env, check=True, capture_output=True)
    subprocess.run(["createdb", scratch_name], env=env, check=True, capture_output=True)
    try:
        restored = subprocess.run(["pg_restore", "--no-owner", f"--dbname={scratch_name}", str(source / "db.dump")],
                                  env=env, capture_output=True, text=True)
        if restored.returncode != 0:
            return [f"pg_restore failed: {restored.stderr.strip()[:500]}"]
        with tempfile.TemporaryDirectory() as unpacked:
            with tarfile.open(source / "uploads.tar.gz") as tar:
                tar.extractall(unpacked, filter="data")
            files = file_checksums(Path(unpacked) / "uploads")
        problems += [f"file {name}: missing or changed" for name, digest in manifest["files"].items()
                     if files.get(name) != digest]
        # The checks that need Django run against the restored database, in a process of their own.
        settings_dict = connection.settings_dict
        url = (f"postgres://{settings_dict.get('USER') or 'postgres'}"
               f"{':' + settings_dict['PASSWORD'] if settings_dict.get('PASSWORD') else ''}"
               f"@{settings_dict.get('HOST') or '127.0.0.1'}:{settings_dict.get('PORT') or 5432}/{scratch_name}")
        inspect_env = {**os.environ, "DATABASE_URL": url}
        if key_file:
            inspect_env.pop("NAVPORTAL_KEYS", None)
            inspect_env["NAVPORTAL_KEY_FILE"] = str(key_file)
        check = subprocess.run([sys.executable, "manage.py", "restore_drill", "--inspect"], cwd=ROOT,
                               env=inspect_env, capture_output=True, text=True)
        if check.returncode != 0:
            return problems + [f"inspection failed: {check.stderr.strip()[-500:]}"]
        found = json.loads(check.stdout)
        if found["unapplied_migrations"]:
            problems.append(f"migrations not applied: {found['unapplied_migrations']}")
        problems += [f"table {table}: {found['rows'].get(table)} rows restored, {count} backed up"
                     for table, count in manifest["rows"].items() if found["rows"].get(table) != count]
        unknown = sorted(set(found["audit_keys"]) - set(found["keys"]))
        if unknown:
            problems.append(f"audit chain under key(s) {', '.join(unknown)}, which the keys given do not hold")
        elif found["audit_broken"] is not None:
            problems.append(f"audit chain broken at {found['audit_broken']}")
        problems += [f"{label}: encrypted values that do not decrypt under the keys given, rows {', '.join(rows)}"
                     for label, rows in found.get("undecryptable", {}).items()]
        problems += [f"{label}: seals that do not verify under the keys given, rows {', '.join(rows)}"
                     for label, rows in found.get("seals_broken", {}).items()]
        return problems
    finally:
        subprocess.run(["dropdb", "--if-exists", scratch_name], env=env, capture_output=True)


def inspect():
    """What the drill needs to know about the database this process runs on."""
    from django.db.migrations.executor import MigrationExecutor

    from .audit import audit_verify
    from .keys import keyring
    from .models import AuditEvent

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    found = {"unapplied_migrations": [f"{m.app_label}.{m.name}" for m, _backwards in plan], "rows": row_counts(),
             "keys": keyring().ids(), "audit_keys": sorted(set(AuditEvent.objects.values_list("key_id", flat=True))),
             "audit_broken": audit_verify()[1]}
    if not found["unapplied_migrations"]:
        found["undecryptable"] = undecryptable()
        found["seals_broken"] = {label: [str(pk) for pk in rows] for label, rows in broken_seals().items()}
    return found


def undecryptable(batch=500):
    """{model label: [pk, ...]} of the rows with an encrypted value that does not decrypt under the keys held."""
    from .crypto import TamperedError
    from .fields import IDENTITY, encrypted_models
    from .keys import UnknownKeyError

    found = {}
    for model, fields in encrypted_models():
        names = [f.attname for f in fields if getattr(f, "encrypted", False)]
        rows = model._base_manager.order_by("pk").only(IDENTITY, *names)
        for row in rows.iterator(chunk_size=batch):
            try:
                for name in names:
                    getattr(row, name)
            except (TamperedError, UnknownKeyError):
                found.setdefault(model._meta.label, []).append(str(row.pk))
    return found


def broken_seals():
    """{model label: [pk, ...]} of the sealed rows whose seal does not verify under the keys held."""
    from django.apps import apps as registry

    from . import seals
    from .crypto import TamperedError
    from .keys import UnknownKeyError

    found = {}
    for label in seals.registered():
        for row in registry.get_model(label)._base_manager.order_by("pk").iterator(chunk_size=200):
            try:
                intact = seals.verify(row).intact
            except (TamperedError, UnknownKeyError):  # sealed content that does not even decrypt
                intact = False
            if not intact:
                found.setdefault(label, []).append(row.pk)
    return found
