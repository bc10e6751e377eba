"""`make abuse`: a flood of objections from a handful of addresses against the running portal.

A fresh database (ABUSE_DB, default navabuse) gets the demo data (its second call is on public notice, the period
running today); the portal runs under the benchmark's gunicorn configuration with production settings (port 8350)
and its rate-limit counters in Redis (ABUSE_REDIS, default redis://127.0.0.1:6379/5), shared by the workers as
they would be by several servers. Then ADDRESSES client addresses (127.0.0.2 …, loopback addresses Linux routes
to the portal's 127.0.0.1) send OBJECTIONS objections in all, each with its own e-mail address, from 20 threads
at once, while one more client reads the public notice page every 100 ms. It prints:

- how many objections were accepted (302 to "confirm your e-mail address") and how many refused (429);
- that the limits held: at most 5 accepted per address and minute, none confirmed, CNIPA told of none;
- the latency of the public page during the flood, beside the same page read before it (the portal stayed
  responsive).
"""

import argparse
import http.client
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse

from .run import PYTHON, ROOT, bench_env, clear_cache, run, start_server, stop_server


def env_for(args):
    """The benchmark's production settings (bench.run.bench_env), with the rate-limit counters in Redis."""
    return {**bench_env(args), "SECRET_KEY": "abuse-only-" + "k" * 50, "LOG_LEVEL": "ERROR",
            "RATELIMIT_CACHE_URL": args.redis}


def request(port, method, path, source, body=None, cookies="", timeout=60):
    """One request from `source` (a loopback address); (status, headers, body text, seconds)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    headers = {"Host": "127.0.0.1", "Cookie": cookies}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    started = time.monotonic()
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        return response.status, response.getheaders(), text, time.monotonic() - started
    except Exception as exc:  # a refused or dropped connection: reported as status 0
        return 0, [], repr(exc), time.monotonic() - started
    finally:
        connection.close()


def csrf_for(port, path, source):
    status, headers, text, _ = request(port, "GET", path, source)
    assert status == 200, (status, text[:300])
    cookie = next(v for k, v in headers if k.lower() == "set-cookie" and v.startswith("csrftoken="))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text).group(1)
    return cookie.split(";")[0], token


def percentile(values, share):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * share))] * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("ABUSE_DB", "navabuse"))
    parser.add_argument("--redis", default=os.environ.get("ABUSE_REDIS", "redis://127.0.0.1:6379/5"))
    parser.add_argument("--port", type=int, default=8350)
    parser.add_argument("--objections", type=int, default=200)
    parser.add_argument("--addresses", type=int, default=5)
    parser.add_argument("--threads", type=int, default=20)
    args = parser.parse_args()
    env = env_for(args)
    pg = ["-h", "127.0.0.1", "-U", "postgres"]
    subprocess.run(["dropdb", *pg, "--if-exists", args.db], check=True)
    subprocess.run(["createdb", *pg, args.db], check=True)
    clear_cache(env)
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env)
    # The demo data refuses production settings (no demo account in production): loaded with DEBUG on, served off.
    run([PYTHON, "manage.py", "load_demo"], {**env, "DEBUG": "1"}, capture_output=True)
    run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django
    django.setup()
    from django.core.cache import caches

    from navportal.models import Message
    from review.models import NoticeEntry, Objection

    caches["ratelimit"].clear()
    entry = NoticeEntry.objects.select_related("notice").filter(removed_at__isnull=True).order_by("-notice_id",
                                                                                                  "number").first()
    call_id = entry.notice.call_id
    notice_path, form_path = f"/notice/{call_id}/", f"/notice/{call_id}/object/{entry.pk}/"
    before = {"objections": Objection.objects.count(), "messages": Message.objects.count()}
    sources = [f"127.0.0.{2 + n}" for n in range(args.addresses)]

    log_dir = ROOT / "var" / "bench"
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / "abuse-portal.log", "w") as server_log:
        server = start_server("navportal.wsgi", args.port, env, server_log)
        try:
            quiet = [request(args.port, "GET", notice_path, "127.0.0.1")[3] for _ in range(30)]
            forms = {source: csrf_for(args.port, form_path, source) for source in sources}
            results, latencies, done = [], [], threading.Event()
            lock = threading.Lock()
            numbers = iter(range(args.objections))

            def flood():
                while True:
                    with lock:
                        n = next(numbers, None)
                    if n is None:
                        return
                    source = sources[n % len(sources)]
                    cookie, token = forms[source]
                    body = urllib.parse.urlencode({
                        "csrfmiddlewaretoken": token, "kind": "person", "name": "压测异议人", "phone": "13912345678",
                        "email": f"flood{n}@example.cn", "reasons": "压力测试：同一地址的大量异议。",
                        "signature": "压测异议人", "declaration": "on"})
                    status, headers, _text, seconds = request(args.port, "POST", form_path, source, body, cookie)
                    with lock:
                        results.append((source, status, seconds))

            def probe():
                while not done.is_set():
                    status, _h, _t, seconds = request(args.port, "GET", notice_path, "127.0.0.1")
                    latencies.append((status, seconds))
                    time.sleep(0.1)

            prober = threading.Thread(target=probe)
            prober.start()
            started = time.monotonic()
            threads = [threading.Thread(target=flood) for _ in range(args.threads)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
            done.set()
            prober.join()
        finally:
            stop_server(server)

    accepted = [r for r in results if r[1] == 302]
    refused = [r for r in results if r[1] == 429]
    other = [r for r in results if r[1] not in (302, 429)]
    per_source = {source: sum(1 for r in accepted if r[0] == source) for source in sources}
    stored = Objection.objects.count() - before["objections"]
    unconfirmed = Objection.objects.filter(confirmed_at__isnull=True).count()  # the demo's own are confirmed
    told = Message.objects.count() - before["messages"]
    probe_seconds = [s for status, s in latencies if status == 200]
    print(f"\nObjection flood: {len(results)} objections from {len(sources)} addresses ({', '.join(sources)}), "
          f"{args.threads} at a time, against gunicorn (5 sync workers), PostgreSQL and Redis, production settings.")
    print(f"- all answered in {elapsed:.2f} s; accepted (302, e-mail to confirm) {len(accepted)}, refused (429) "
          f"{len(refused)}, other {len(other)} {sorted({r[1] for r in other})}")
    print(f"- accepted per address: {per_source} (limit 5 a minute, 20 an hour)")
    print(f"- objections stored {stored}, unconfirmed {unconfirmed} (none counts before its link is followed); "
          f"messages to CNIPA added {told}")
    print(f"- 429 latency p50 {percentile([r[2] for r in refused] or [0], 0.5):.0f} ms; accepted p50 "
          f"{percentile([r[2] for r in accepted] or [0], 0.5):.0f} ms")
    print(f"- public notice page before the flood: p50 {percentile(quiet, 0.5):.0f} ms, p95 "
          f"{percentile(quiet, 0.95):.0f} ms; during it ({len(probe_seconds)} reads, "
          f"{len(latencies) - len(probe_seconds)} not 200): p50 {percentile(probe_seconds or [0], 0.5):.0f} ms, "
          f"p95 {percentile(probe_seconds or [0], 0.95):.0f} ms, max {max(probe_seconds or [0]) * 1000:.0f} ms")
    # A window of the per-minute limit may end during the flood (django-ratelimit's windows are fixed, staggered
    # per key): an address can then get 5 in each of two windows, never more while the flood lasts under a minute.
    passed = (not other and stored == len(accepted) == unconfirmed and told == 0
              and all(n <= 10 for n in per_source.values()) and len(probe_seconds) == len(latencies))
    print("PASSED" if passed else "FAILED")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
