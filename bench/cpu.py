"""The portal's own cost per request, page by page, without a server: CPU time of this process (the server's share of
a request; the database's is not in it), wall-clock time and SQL statements, beside the floor's, in-process:

    .venv/bin/python -m bench.cpu [--times 200] [--only "reviewer queue"]

BENCH_PROFILE=1 (or =all, every frame) prints pyinstrument's profile of each measured page on standard error.

The pages and users are bench.run's (its database, BENCH_DB, default navbench: run `make bench` first). Figures
vary less than wrk's, which makes it the tool for a step of a few percent; `make bench` remains the measure.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measure(call, times):
    call()  # warm: templates compiled, translations loaded, statements prepared
    from django.db import connection, reset_queries
    connection.force_debug_cursor = True
    reset_queries()
    call()
    queries = len(connection.queries)
    connection.force_debug_cursor = False
    profiler = None
    if os.environ.get("BENCH_PROFILE"):
        from pyinstrument import Profiler
        profiler = Profiler(interval=0.0005)
        profiler.start()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(times):
        call()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=os.environ.get("BENCH_PROFILE") == "all"),
              file=sys.stderr)
    return (cpu / times * 1000, wall / times * 1000, queries)


def floor(times):
    """The floor's view through its own settings, in a process of its own."""
    out = subprocess.run([sys.executable, "-m", "bench.cpu", "--floor", "--times", str(times)], cwd=ROOT,
                         env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.floor.settings"},
                         capture_output=True, text=True, check=True).stdout
    return [float(x) for x in out.split()]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--times", type=int, default=200)
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", "navbench"))
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--fresh", action="store_true", help="make the database anew first (as make bench does)")
    parser.add_argument("--applications", type=int, default=3000)
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    from .run import PYTHON, bench_env, prepare_database, run
    env = bench_env(args)
    if args.fresh:
        print(prepare_database(args, env), flush=True)
    if not args.floor:
        # The pages link their assets through the manifest, which a fresh clone has not written yet.
        run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env)
    if args.floor:
        env["DJANGO_SETTINGS_MODULE"] = "bench.floor.settings"
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django
    django.setup()
    if args.floor:
        client = _client()
        cpu, wall, queries = measure(lambda: client.get("/"), args.times)
        print(cpu, wall, queries)
        return

    from .run import targets
    t = targets(1)
    rows = [("floor", *floor(args.times))]
    reviewer = _client(*t["reviewer_sessions"].split("|"))  # one connection: one session
    cnipa = _client(*t["cnipa_sessions"].split("|"))
    public = _client()
    pages = [
        ("public notice", public, f"/notice/{t['call'].pk}/"),
        ("final list", public, "/bases/"),
        ("reviewer queue", reviewer, "/review/"),
        ("application detail", reviewer, f"/review/applications/{t['detail'].pk}/"),
        ("province ranking", reviewer, f"/review/packages/{t['package'].pk}/"),
        ("CNIPA dashboard", cnipa, "/review/dashboard/"),
    ]
    for name, client, path in pages:
        if args.only and name not in args.only:
            continue
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{name}: {path} answered {response.status_code}")
        rows.append((name, *measure(lambda: client.get(path), args.times)))
    if not args.only or "draft save (POST)" in args.only:
        rows.append(("draft save (POST)", *_save(t, args.times)))
    if not args.only or "submission (POST)" in args.only:
        rows.append(("submission (POST)", *_submit(t, min(args.times, 100))))
    base = rows[0][1]
    print(f"{'page':<22} {'CPU ms':>7} {'wall ms':>8} {'SQL':>4} {'CPU/floor':>9}")
    for name, cpu, wall, queries in rows:
        print(f"{name:<22} {cpu:7.2f} {wall:8.2f} {int(queries):4d} {cpu / base:9.2f}")


def _client(key=None, csrf=None):
    """A test client, signed in with session `key` and CSRF secret `csrf` when given."""
    from django.test import Client
    client = Client(HTTP_HOST="127.0.0.1")
    if key:
        client.cookies["sessionid"], client.cookies["csrftoken"] = key, csrf
    return client


def _save(t, times):
    """The plan section saved again and again by one applicant, with the fields bench/wrk/save.lua sends; each save
    raises the lock version by one, and the next one sends it, as the reloaded page would."""
    key, csrf, pk, lock = t["save_env"]()["BENCH_SAVES"].split(";")[0].split("|")
    client = _client(key, csrf)
    path, lock = f"/applications/{pk}/sections/plan/", int(lock)

    def save():
        nonlocal lock
        response = client.post(path, {
            "csrfmiddlewaretoken": csrf, "lock_version": lock,
            "plan_goals": f"三年内形成覆盖重点产业的专利导航服务网络（第{lock}稿）。",
            "plan_demand": "每年开展需求调研不少于10次。", "plan_organisation": "成立基地工作领导小组，制定管理办法。",
            "plan_promotion": "每年发布产业专利导航成果不少于2项。"})
        if response.status_code != 302:
            raise SystemExit(f"draft save answered {response.status_code}")
        lock += 1
    return measure(save, times)


def _submit(t, times):
    """Real submissions, one complete draft each (spent: the next run needs --fresh)."""
    items = [item.split(":") for thread in t["submit_env"]["BENCH_SUBMITS"].split(";") for item in thread.split(",")]
    if len(items) < times + 2:
        raise SystemExit("not enough complete drafts left: run again with --fresh")
    queue = iter(items)
    client = _client()  # one client: a new one would set up the middleware chain anew

    def submit():
        key, csrf, pk = next(queue)
        client.cookies["sessionid"], client.cookies["csrftoken"] = key, csrf
        response = client.post(f"/applications/{pk}/submit/", {"csrfmiddlewaretoken": csrf})
        if response.status_code != 302 or "#problems" in response["Location"]:
            raise SystemExit(f"submission answered {response.status_code} {response.get('Location')}")
    return measure(submit, times)


if __name__ == "__main__":
    main()
