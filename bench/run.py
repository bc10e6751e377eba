"""`make bench`: the portal's pages measured side by side with the floor, on national-scale data.

1. A fresh PostgreSQL database (BENCH_DB, default navbench) is created, migrated and filled by
   `manage.py generate_national` (3,000 applications in every state and a past call).
2. The portal (navportal.wsgi) and the floor (bench/floor: one query, 50 rows) are served by the same gunicorn
   configuration (bench/gunicorn.conf.py) with production settings: DEBUG off, WhiteNoise, the same database.
3. wrk requests each page for --duration seconds after a warm-up, signed in with sessions made on the server
   (bench/sessions.py: second factor passed for officials), one session and one connection per wrk thread.
4. One table: requests per second, p50/p95/p99 latency and each page's ratio to the floor, against the targets;
   the national summary's peak memory (tracemalloc) for 300 and for 3,000 rows. --record writes the run into
   docs/performance.md.

Ports 8100 (portal) and 8101 (floor) by default; nothing is left running afterwards.
"""

import argparse
import datetime
import gc
import json
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import tracemalloc
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = sys.executable
DOC = ROOT / "docs" / "performance.md"

# (name, target ratio to the floor or None): issue 17's, in production's configuration.
TARGETS = {
    "public notice": 0.9, "final list": 0.9, "reviewer queue": 0.5, "application detail": 0.5,
    "province ranking": 0.5, "CNIPA dashboard": 0.5, "draft save (POST)": 0.4, "submission (POST)": 0.3,
}
# The national summary of 3,000 rows: five times the rate of the run recorded before issue 17 (7.78 s at d00c9a5,
# 2026-11-30, on the machine docs/performance.md names).
SUMMARY_BASELINE_SECONDS = 7.78
SUMMARY_TARGET_SECONDS = SUMMARY_BASELINE_SECONDS / 5


def bench_env(args):
    var = ROOT / "var" / "bench"
    keys = var / "keys"  # the key file production keeps outside the database (docs/cryptography.md)
    if not keys.exists():
        keys.parent.mkdir(parents=True, exist_ok=True)
        keys.write_text(f"bench:{secrets.token_hex(32)}\n")
    return {
        "NAVPORTAL_KEY_FILE": str(keys),
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{args.db}",
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-" + "k" * 50,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # TLS ends at the load balancer in front (docs/deployment.md); wrk speaks plain HTTP to gunicorn.
        "SECURE_SSL_REDIRECT": "0",
        "NAVPORTAL_VAR_DIR": str(var),
        "STATIC_ROOT": str(var / "static"),
        "LOG_LEVEL": "WARNING",
        # Production's configuration (docs/deployment.md): persistent database connections, and the cache (with
        # the sessions, cached_db) in Redis, shared by every worker as by every server. The floor reads the same
        # connection setting. BENCH_CONN_MAX_AGE=0 measures a new connection per request, as before issue 17.
        "DATABASE_CONN_MAX_AGE": os.environ.get("BENCH_CONN_MAX_AGE", "60"),
        "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/4"),
        "CACHE_KEY_PREFIX": args.db,  # one prefix per database: no run reads another database's entries
        "DJANGO_SETTINGS_MODULE": "navportal.settings",
    }


def run(cmd, env, **kwargs):
    return subprocess.run(cmd, env={**os.environ, **env}, cwd=ROOT, check=True, text=True, **kwargs)


def check_tools(env):
    """wrk and Redis, or a clear message naming what to install (wrk from Debian when run as root)."""
    if shutil.which("wrk") is None and os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing wrk (Debian package) ...", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
                       stdout=subprocess.DEVNULL, check=False)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: install it with `apt-get install wrk` (Debian package), then run again.")
    clear_cache(env)


def clear_cache(env):
    """Empties the run's entries of the shared cache (those under its database's prefix): a database made anew
    starts its version counters again, and must not be served pages cached for the previous one."""
    import redis

    url, prefix = env["CACHE_URL"], env["CACHE_KEY_PREFIX"]
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        keys = list(client.scan_iter(f"{prefix}:*", count=1000))
    except redis.RedisError as exc:
        raise SystemExit(f"Redis does not answer at {url} ({exc}); the benchmark measures the shared cache "
                         "production uses. Start Redis, or name another with BENCH_CACHE_URL.") from None
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start:start + 1000])


def prepare_database(args, env):
    """A new database with the generated data; returns the generator's summary line."""
    pg = ["-h", "127.0.0.1", "-U", "postgres"]
    subprocess.run(["dropdb", *pg, "--if-exists", args.db], check=True)
    subprocess.run(["createdb", *pg, args.db], check=True)
    clear_cache(env)
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env)
    started = time.monotonic()
    out = run([PYTHON, "manage.py", "generate_national", "--not-production", "--applications",
               str(args.applications)], env, capture_output=True).stdout.strip()
    # Statistics and the visibility map, as autovacuum would have them on a database in use.
    subprocess.run(["psql", *pg, "-q", "-c", "VACUUM ANALYZE", args.db], check=True)
    return f"{out} (wall clock {time.monotonic() - started:.1f} s)"


def start_server(module, port, env, log):
    process = subprocess.Popen(
        [str(Path(PYTHON).parent / "gunicorn"), "-c", str(BENCH / "gunicorn.conf.py"), module],
        env={**os.environ, **env, "BENCH_BIND": f"127.0.0.1:{port}"}, cwd=ROOT,
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            return process
        except Exception:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn {module} did not start; see {log.name}")
            time.sleep(0.2)
    stop_server(process)  # nothing left running
    raise SystemExit(f"gunicorn {module} did not answer on port {port}; see {log.name}")


def stop_server(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def wrk(url, script, env, seconds, connections):
    out = subprocess.run(
        ["wrk", f"-t{connections}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
         "-s", str(BENCH / "wrk" / script), url],
        env={**os.environ, **env, "BENCH_LUA_DIR": str(BENCH / "wrk")}, capture_output=True, text=True, check=True)
    line = next((line for line in out.stdout.splitlines() if line.startswith("BENCH ")), None)
    if line is None:
        raise SystemExit(f"wrk printed no summary:\n{out.stdout}\n{out.stderr}")
    return json.loads(line[len("BENCH "):])


# --- What is measured, chosen in the generated data ----------------------------------------------

def targets(connections):
    from django.db.models import Count

    from applications.enums import AttachmentKind, State
    from applications.models import Application
    from applications.selectors import ApplicationContent
    from portal.management.commands.generate_national import CURRENT_DOCUMENT
    from navportal.models import Role, User
    from review.models import Call, Package

    from .sessions import signed_in

    call = Call.objects.get(document_number=CURRENT_DOCUMENT)
    # The biggest province's desk: the longest queue, and its package with the most recommendations.
    # The ranking page as a bureau works on it: its package still open, with the most recommendations.
    package = (Package.objects.filter(call=call, province__isnull=False, status="open")
               .annotate(n=Count("recommendations")).order_by("-n", "pk").first())
    reviewer = User.objects.filter(role=Role.PROVINCE, province=package.province_id).order_by("pk").first()
    cnipa = User.objects.filter(role=Role.NATIONAL).order_by("pk").first()
    detail = package.recommendations.order_by("rank").first().application
    # Complete drafts only: one the generator left with a problem is refused (a redirect to its problems, cheaper
    # than a submission), and would be counted as one.
    drafts = [a for a in Application.objects.filter(call=call, state=State.DRAFT, attachments__kind=AttachmentKind.SEALED_SCAN)
              .select_related("organisation").order_by("pk") if "plan" in a.sections_saved
              and not ApplicationContent(a).problems()]

    def sessions(user):
        return ";".join("|".join(signed_in(user)) for _ in range(connections))

    saves = drafts[:connections]
    save_users = {a.pk: User.objects.get(organisation=a.organisation_id) for a in saves}
    save_sessions = {a.pk: signed_in(save_users[a.pk]) for a in saves}

    def save_env():
        time.sleep(1)  # a save still in flight when the previous wrk run stopped lands before locks are read
        locks = dict(Application.objects.filter(pk__in=save_sessions).values_list("pk", "lock_version"))
        return {"BENCH_SAVES": ";".join(f"{s}|{c}|{pk}|{locks[pk]}" for pk, (s, c) in save_sessions.items())}

    submits = drafts[connections:]
    per_thread = [[] for _ in range(connections)]
    for index, application in enumerate(submits):
        key, csrf = signed_in(User.objects.get(organisation=application.organisation_id))
        per_thread[index % connections].append(f"{key}:{csrf}:{application.pk}")
    return {
        "call": call, "cnipa": cnipa, "reviewer": reviewer, "package": package, "detail": detail,
        "reviewer_sessions": sessions(reviewer), "cnipa_sessions": sessions(cnipa), "save_env": save_env,
        "submit_env": {"BENCH_SUBMITS": ";".join(",".join(items) for items in per_thread)},
        "submit_count": len(submits), "submit_ids": [a.pk for a in submits],
    }


def cases(t):
    """(name, path, wrk script, env) in the order they run."""
    return [
        ("public notice", f"/notice/{t['call'].pk}/", "get.lua", {}),
        ("final list", "/bases/", "get.lua", {}),
        ("reviewer queue", "/review/", "get.lua", {"BENCH_SESSIONS": t["reviewer_sessions"]}),
        ("application detail", f"/review/applications/{t['detail'].pk}/", "get.lua",
         {"BENCH_SESSIONS": t["reviewer_sessions"]}),
        ("province ranking", f"/review/packages/{t['package'].pk}/", "get.lua",
         {"BENCH_SESSIONS": t["reviewer_sessions"]}),
        ("CNIPA dashboard", "/review/dashboard/", "get.lua", {"BENCH_SESSIONS": t["cnipa_sessions"]}),
        ("national summary (xlsx)", "/review/dashboard/summary.xlsx", "get.lua",
         {"BENCH_SESSIONS": t["cnipa_sessions"]}),
        ("draft save (POST)", "/applications/0/sections/plan/", "save.lua", t["save_env"]),
        ("submission (POST)", "/applications/0/submit/", "submit.lua", t["submit_env"]),
    ]


# --- The national summary's memory -----------------------------------------------------------------

def summary_peak(call, user, rows):
    """Peak memory (bytes, tracemalloc) of writing and sending the national summary with `rows` recommendations.

    The recommendations beyond the generated ones are added for the measurement only, in a transaction that is
    rolled back: every application of the call is recommended by its unit's package, in order."""
    from django.db import transaction

    from applications.models import Application
    from review.models import Package, Recommendation
    from review.national_exports import national_summary_response

    with transaction.atomic():
        have = Recommendation.objects.filter(package__call=call).count()
        packages = {(p.province_id, p.ministry_id): p for p in Package.objects.filter(call=call)}
        ranks = {}
        extra = []
        for application in Application.objects.filter(call=call, recommendation__isnull=True).order_by("pk")[
                :max(0, rows - have)]:
            key = (None, application.ministry_id) if application.route == "ministry" else (application.province_id, None)
            package = packages.get(key) or Package.objects.create(call=call, province_id=key[0], ministry_id=key[1])
            packages[key] = package
            if package.pk not in ranks:
                ranks[package.pk] = package.recommendations.count()
            ranks[package.pk] += 1
            extra.append(Recommendation(package=package, application=application, rank=ranks[package.pk],
                                        opinion="同意推荐。（测量用）"))
        Recommendation.objects.bulk_create(extra, batch_size=1000)
        count = Recommendation.objects.filter(package__call=call).count()
        gc.collect()
        tracemalloc.start()
        started = time.monotonic()
        response = national_summary_response(call, user)
        size = sum(len(chunk) for chunk in response) if response.streaming else len(response.content)
        elapsed = time.monotonic() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        response.close()
        transaction.set_rollback(True)
    return {"rows": count, "peak": peak, "bytes": size, "seconds": elapsed}


# --- Reporting --------------------------------------------------------------------------------------

def machine():
    cpu = "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        memory = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, AttributeError):
        pass
    pg = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "show server_version"],
                        capture_output=True, text=True).stdout.strip()
    return f"{cpu}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}; " \
           f"Python {platform.python_version()}; PostgreSQL {pg}"


def table(results):
    lines = ["| page | req/s | p50 ms | p95 ms | p99 ms | floor req/s | ratio to floor | target | met |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name, r in results:
        ratio = r["rps"] / r["floor"]
        target = TARGETS.get(name)
        met = "" if target is None else ("yes" if ratio >= target else "**no**")
        lines.append(f"| {name} | {r['rps']:.1f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} | "
                     f"{r['floor']:.1f} | {ratio:.2f} | {'' if target is None else f'≥ {target}'} | {met} |")
    return "\n".join(lines)


def record(text):
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    doc = DOC.read_text(encoding="utf-8") if DOC.exists() else f"# Performance\n\n{start}\n{end}\n"
    before, _sep, rest = doc.partition(start)
    _old, _sep, after = rest.partition(end)
    DOC.write_text(f"{before}{start}\n{text}\n{end}{after}", encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", "navbench"))
    parser.add_argument("--applications", type=int, default=3000)
    parser.add_argument("--duration", type=int, default=int(os.environ.get("BENCH_SECONDS", 10)))
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--port", type=int, default=8100, help="the portal's; the floor's is the next one")
    parser.add_argument("--reuse", action="store_true", help="keep the database of the previous run")
    parser.add_argument("--record", action="store_true", help="write the run into docs/performance.md")
    parser.add_argument("--only", action="append", default=[], metavar="PAGE",
                        help="measure only this page of the table (again for more); not with --record")
    args = parser.parse_args()
    if args.only and args.record:
        parser.error("--record writes the whole table: run it without --only")
    env = bench_env(args)
    check_tools(env)
    load_before = " / ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "?"
    generated = "(database of an earlier run)" if args.reuse else prepare_database(args, env)
    print(generated, flush=True)
    run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django
    django.setup()

    log_dir = ROOT / "var" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    servers = []
    try:
        with open(log_dir / "portal.log", "w") as portal_log, open(log_dir / "floor.log", "w") as floor_log:
            servers.append(start_server("navportal.wsgi", args.port, env, portal_log))
            servers.append(start_server("bench.floor.wsgi", args.port + 1, env, floor_log))
            t = targets(args.connections)
            floor_url = f"http://127.0.0.1:{args.port + 1}/"
            wrk(floor_url, "get.lua", {}, args.warmup, args.connections)
            # The floor right before every page and once at the end: each page is compared with the floor
            # runs on either side of it, so that load from elsewhere on the machine cancels out.
            floors, results = [], []
            for name, path, script, extra in cases(t):
                if args.only and name not in args.only:
                    continue
                floors.append(wrk(floor_url, "get.lua", {}, args.duration, args.connections))
                url = f"http://127.0.0.1:{args.port}{path}"
                if name != "submission (POST)":  # every submission is real: no warm-up spends the drafts
                    wrk(url, script, extra() if callable(extra) else extra, args.warmup, args.connections)
                result = wrk(url, script, extra() if callable(extra) else extra, args.duration, args.connections)
                results.append((name, result))
                print(f"{name}: {result['rps']:.1f} req/s (floor {floors[-1]['rps']:.1f}), p95 "
                      f"{result['p95_ms']:.1f} ms, unexpected {result['unexpected']}, errors "
                      f"{result['socket_errors'] + result['http_errors']}", flush=True)
            floors.append(wrk(floor_url, "get.lua", {}, args.duration, args.connections))
            for index, (name, result) in enumerate(results):
                result["floor"] = (floors[index]["rps"] + floors[index + 1]["rps"]) / 2
        from applications.models import Application
        submitted = Application.objects.filter(pk__in=t["submit_ids"]).exclude(state="draft").count()
        summary = not args.only or "national summary (xlsx)" in args.only
        small = summary_peak(t["call"], t["cnipa"], 300) if summary else None
        large = summary_peak(t["call"], t["cnipa"], 3000) if summary else None
    finally:
        for server in servers:
            stop_server(server)

    floor_rps = sum(f["rps"] for f in floors) / len(floors)
    floor_row = {"rps": floor_rps, "floor": floor_rps,
                 **{k: sum(f[k] for f in floors) / len(floors) for k in ("p50_ms", "p95_ms", "p99_ms")}}
    submit_result = dict(results).get("submission (POST)", {"requests": 0, "unexpected": 0})
    command = " ".join(["make bench"] + ([f"BENCH_SECONDS={args.duration}"] if args.duration != 10 else []))
    report = "\n".join([
        f"Run of {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, commit "
        f"{subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=ROOT, capture_output=True, text=True).stdout.strip()}"
        f" — `{command}`",
        "",
        f"- Machine: {machine()}",
        f"- Server: gunicorn {', '.join(bench_gunicorn())}; wrk -t{args.connections} -c{args.connections} "
        f"-d{args.duration}s after a {args.warmup} s warm-up, on the same machine; load average before the run "
        f"{load_before}",
        f"- Data: {generated}",
        f"- Floor (bench/floor: one query, 50 rows), measured before each page and at the end: "
        f"{min(f['rps'] for f in floors):.1f}–{max(f['rps'] for f in floors):.1f} req/s (mean {floor_rps:.1f}); "
        f"each page's ratio is to the mean of the floor runs on either side of it (column \"floor\")",
        "",
        table([("floor (mean)", floor_row)] + results),
        "",
        f"Submissions: {submit_result['requests']} requests, {submitted} applications submitted "
        f"(of {t['submit_count']} complete drafts); unexpected responses {submit_result['unexpected']}.",
        "",
        "" if small is None else f"National summary (xlsx), peak memory while written and sent (tracemalloc): "
        f"{small['rows']} rows {small['peak'] / 1e6:.2f} MB ({small['bytes'] / 1e3:.0f} kB, {small['seconds']:.2f} s); "
        f"{large['rows']} rows {large['peak'] / 1e6:.2f} MB ({large['bytes'] / 1e3:.0f} kB, {large['seconds']:.2f} s); "
        f"ratio {large['peak'] / small['peak']:.2f} (target ≤ 1.2). 3,000 rows in {large['seconds']:.2f} s "
        f"(target ≤ {SUMMARY_TARGET_SECONDS:.2f} s, a fifth of {SUMMARY_BASELINE_SECONDS} s before issue 17): "
        f"{'met' if large['seconds'] <= SUMMARY_TARGET_SECONDS else '**not met**'}.",
    ])
    print()
    print(report)
    if args.record:
        record(report)
        print(f"\nRecorded in {DOC.relative_to(ROOT)}.")


def bench_gunicorn():
    import importlib.util
    spec = importlib.util.spec_from_file_location("gunicorn_conf", BENCH / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    return [f"{conf.workers} {conf.worker_class} workers"]


if __name__ == "__main__":
    main()
