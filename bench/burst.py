"""`make burst`: the deadline burst — 200 applicants submit at the same moment.

A fresh database (BURST_DB, default navburst) gets the generated national-scale data; the portal runs under the
benchmark's gunicorn configuration with production settings (port 8110). 200 applicants, each signed in with a
session made on the server and each with a complete draft, wait at a barrier and then all POST their submission
at once. Then it checks:

- every response is the redirect of a successful submission (no error, no 5xx);
- every application was submitted exactly once: one submitted version, one `application_submit` audit line,
  a state on a reviewer's desk; the audit chain is intact (`manage.py verify_audit`);
- the PostgreSQL log written during the run holds no "deadlock detected" (BURST_PG_LOG, default
  /var/log/postgresql/postgresql-15-main.log).
"""

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from applications.enums import AttachmentKind, State

from .run import PYTHON, ROOT, bench_env, prepare_database, run, start_server, stop_server

DESK = {State.CITY_REVIEW, State.PROVINCE_REVIEW, State.MINISTRY_REVIEW}  # where a submission lands


def complete_drafts(count):
    """The first `count` drafts of the generated data that can be submitted (every section saved, the sealed scan
    uploaded)."""
    from applications.models import Application

    drafts = [a for a in Application.objects.filter(state=State.DRAFT, attachments__kind=AttachmentKind.SEALED_SCAN)
              .order_by("pk") if "plan" in a.sections_saved][:count]
    if len(drafts) < count:
        raise SystemExit(f"only {len(drafts)} complete drafts in the generated data")
    return drafts


def submit(port, application_id, session, csrf, barrier, results, index, headers=()):
    """One applicant's submission, sent when the barrier lets all go; (status, Location or the error, seconds) into
    results[index]. `headers` are added to the request's (bench/cluster.py: those a browser behind TLS sends)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    body = f"csrfmiddlewaretoken={csrf}"
    headers = {"Cookie": f"sessionid={session}; csrftoken={csrf}", "Host": "127.0.0.1",
               "Content-Type": "application/x-www-form-urlencoded", **dict(headers)}
    barrier.wait()
    started = time.monotonic()
    try:
        connection.request("POST", f"/applications/{application_id}/submit/", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        results[index] = (response.status, response.getheader("Location", ""), time.monotonic() - started)
    except Exception as exc:  # a refused or dropped connection is a failure of the burst, reported below
        results[index] = (0, repr(exc), time.monotonic() - started)
    finally:
        connection.close()


def stored(ids):
    """What the database holds of the applications `ids`: ({id: state}, {id: submitted versions}, {id: audit lines
    `application_submit`}). A submission stored exactly once is on a desk with one version and one audit line."""
    from applications.models import Application, ApplicationVersion
    from navportal.models import AuditEvent

    states = dict(Application.objects.filter(pk__in=ids).values_list("pk", "state"))
    versions = {pk: 0 for pk in ids}
    for pk in ApplicationVersion.objects.filter(application_id__in=ids).values_list("application_id", flat=True):
        versions[pk] += 1
    audited = {pk: 0 for pk in ids}
    for object_id in AuditEvent.objects.filter(action="application_submit", object_id__in=[str(pk) for pk in ids]) \
            .values_list("object_id", flat=True):
        audited[int(object_id)] += 1
    return states, versions, audited


def verify_audit(env):
    """`manage.py verify_audit` under the run's settings (its key file): the chain checked row by row."""
    return subprocess.run([PYTHON, "manage.py", "verify_audit"], env={**os.environ, **env}, cwd=ROOT,
                          capture_output=True, text=True)


def pg_log_mark(path):
    """(the PostgreSQL log, its size now or None when it cannot be read): where pg_log_deadlocks starts reading."""
    log = Path(path)
    return log, (log.stat().st_size if log.exists() else None)


def pg_log_deadlocks(log, start):
    """(how many "deadlock detected" the PostgreSQL log gained since `start`, or None when it cannot be read; the
    same as a sentence)."""
    if start is None:
        return None, "not checked (no readable PostgreSQL log at %s)" % log
    with open(log, encoding="utf-8", errors="replace") as handle:
        handle.seek(start)
        written = handle.read()
    count = written.count("deadlock detected")
    return count, f"{count} \"deadlock detected\" in the {len(written)} bytes the PostgreSQL log gained"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("BURST_DB", "navburst"))
    parser.add_argument("--applicants", type=int, default=200)
    parser.add_argument("--applications", type=int, default=3000)
    parser.add_argument("--port", type=int, default=8110)
    parser.add_argument("--pg-log", default=os.environ.get("BURST_PG_LOG", "/var/log/postgresql/postgresql-15-main.log"))
    args = parser.parse_args()
    env = bench_env(args)
    print(prepare_database(args, env), flush=True)
    run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django
    django.setup()
    from navportal.models import AuditEvent, User

    from .sessions import signed_in

    drafts = complete_drafts(args.applicants)
    sessions = [signed_in(User.objects.get(organisation=a.organisation_id)) for a in drafts]
    log, log_start = pg_log_mark(args.pg_log)
    audit_before = AuditEvent.objects.filter(action="application_submit").count()

    log_dir = ROOT / "var" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / "burst-portal.log", "w") as server_log:
        server = start_server("navportal.wsgi", args.port, env, server_log)
        try:
            barrier = threading.Barrier(len(drafts))
            results = [None] * len(drafts)
            threads = [threading.Thread(target=submit, args=(args.port, a.pk, s, c, barrier, results, i))
                       for i, (a, (s, c)) in enumerate(zip(drafts, sessions))]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
        finally:
            stop_server(server)

    ok = [r for r, a in zip(results, drafts) if r[0] == 302 and r[1].endswith(f"/applications/{a.pk}/")]
    latencies = sorted(r[2] for r in results)
    ids = [a.pk for a in drafts]
    states, versions, audited = stored(ids)
    verify = verify_audit(env)
    deadlock_count, deadlocks = pg_log_deadlocks(log, log_start)
    failures = {
        "responses other than the submission's redirect": len(results) - len(ok),
        "applications not on a reviewer's desk": sum(states[pk] not in DESK for pk in ids),
        "applications without exactly one version": sum(n != 1 for n in versions.values()),
        "applications without exactly one audit line": sum(n != 1 for n in audited.values()),
    }
    print(f"\nDeadline burst: {len(drafts)} applicants submitting at once against gunicorn (5 sync workers) and "
          f"PostgreSQL, production settings.")
    print(f"- all answered in {elapsed:.2f} s ({len(drafts) / elapsed:.1f} submissions/s); latency p50 "
          f"{statistics.median(latencies) * 1000:.0f} ms, p95 {latencies[int(len(latencies) * 0.95) - 1] * 1000:.0f} ms, "
          f"max {latencies[-1] * 1000:.0f} ms")
    print(f"- statuses: {sorted({r[0] for r in results})}; successful submissions {len(ok)}")
    for name, n in failures.items():
        print(f"- {name}: {n}")
    print(f"- audit lines application_submit added: "
          f"{AuditEvent.objects.filter(action='application_submit').count() - audit_before}; "
          f"verify_audit: {verify.stdout.strip() or verify.stderr.strip()}")
    print(f"- deadlocks: {deadlocks}")
    passed = not any(failures.values()) and verify.returncode == 0 and not deadlock_count
    print("PASSED" if passed else "FAILED")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
