"""`make cluster`: the portal scaled out — two gunicorn servers behind nginx, one PostgreSQL, one Redis, one upload
folder — and what must hold across them, checked while one server is killed.

The shape of docs/deployment.md on one machine: nginx (the Debian package) on port 8402 plays the TLS-ending balancer
(it listens in plain HTTP but tells the servers `X-Forwarded-Proto: https`, as the balancer in front of HTTPS
would); two gunicorn servers (bench/gunicorn.conf.py, production settings) on 8400 and 8401 share the database
(CLUSTER_DB, default navcluster, recreated with the generated national data), Redis database 6 (CACHE_URL: the
cache, the cached_db sessions and the rate limits; emptied first), the upload folder and the key file. The servers
run with SECURE_SSL_REDIRECT on and SECURE_PROXY_SSL_HEADER set, so only the balancer's header lets a request in,
and TRUSTED_PROXIES=1, so the client's address comes from the balancer's X-Forwarded-For. Then:

1. The balancer: a request straight to a server is redirected to HTTPS; with the balancer's header it is served.
2. Sessions move between servers: an applicant signs in once through nginx, on the real sign-in page with his
   password (from 127.0.0.9, with a forged X-Forwarded-For: the audit line names 127.0.0.9); both servers know
   the session; he submits on server A and downloads the submission's PDF from B (B lays it out into the shared
   folder) and again from A (A reads B's file); he signs out on A, and B no longer knows the session.
3. The quota race across servers: CNIPA opens a call with a quota of 3 and RACERS applicants of one province submit
   to it (through the services, in this process); the province's reviewers, one session per racer, then recommend
   all of them at the same moment, half through each server, into a package not made yet: exactly three are
   accepted, the others are refused with the quota's message, and one package holds its quota.
4. The deadline burst across both (bench/burst.py's): APPLICANTS applicants submit at once through nginx; after
   KILL_AFTER answers server A's process group is killed (SIGKILL). Every acknowledged submission (the redirect of
   a success) must be stored exactly once with its audit line. The others got an error (nginx does not send a POST
   that reached a server on to the next: it may have been carried out); each is retried once through nginx once
   nginx tries the dead server again (its fail_timeout), and must then be submitted — or, if the dead server had
   committed it after all, be answered "already submitted", as five acknowledged ones sent again must be — and no
   application is ever submitted twice. The audit chain is verified and the PostgreSQL log must hold no
   deadlock. Which server answered what is read from nginx's access log ($upstream_addr).

--record writes the summary into docs/performance.md, in its own section (## Scale-out (make cluster)). Nothing is
left running, whatever fails; the exit status is 1 when a check failed.
"""

import argparse
import datetime
import http.client
import http.cookies
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

from .burst import DESK, complete_drafts, pg_log_deadlocks, pg_log_mark, stored, submit, verify_audit
from .run import PYTHON, ROOT, bench_env, bench_gunicorn, machine, prepare_database, run, start_server

NGINX = "/usr/sbin/nginx"
VAR = ROOT / "var" / "cluster"
DOC = ROOT / "docs" / "performance.md"
HOST = "127.0.0.1"                  # the portal's host name as its clients know it
ORIGIN = f"https://{HOST}"          # and its address: HTTPS, ended at the balancer
BALANCER_HEADERS = {"X-Forwarded-Proto": "https"}  # what nginx adds; sent by hand to a server reached directly
LOG_FORMAT = '$msec $request_method $request_uri $status "$upstream_addr" "$upstream_status" $request_time'
FAIL_TIMEOUT = 10  # seconds nginx leaves a failed server alone (its default) before trying it again
SECTION_TITLE = "## Scale-out (make cluster)"
START, END = "<!-- cluster:start -->", "<!-- cluster:end -->"


# --- Pure pieces (tests/test_cluster_tools.py) ----------------------------------------------------------

def nginx_config(*, prefix, listen, servers, user):
    """nginx.conf of the balancer: round robin over `servers` (host:port), listening on `listen`, everything it
    writes under `prefix`, run in the foreground by `user`'s processes."""
    prefix = Path(prefix)
    upstreams = "\n".join(f"        server {server} max_fails=1 fail_timeout={FAIL_TIMEOUT}s;" for server in servers)
    temp = "\n".join(f"    {name}_temp_path {prefix / 'tmp' / name};"
                     for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""# Written by bench/cluster.py (make cluster); a starting point for the balancer of docs/deployment.md.
user {user};
worker_processes 1;
daemon off;
pid {prefix / 'nginx.pid'};
error_log {prefix / 'nginx-error.log'} warn;

events {{
    worker_connections 1024;
}}

http {{
    log_format cluster '{LOG_FORMAT}';
    access_log {prefix / 'access.log'} cluster;
{temp}
    client_max_body_size 60m;

    upstream navportal {{
{upstreams}
    }}

    server {{
        # Plain HTTP on this machine; in production `listen 443 ssl` with the certificate, and port 80 redirecting.
        listen {listen};
        server_name {HOST};

        location / {{
            proxy_pass http://navportal;
            # A server that refuses the connection or does not answer is skipped. nginx passes a request on only if
            # it is idempotent or was never sent: a POST that reached a server that then died may have been carried
            # out, so its client gets the error (502) and retries knowingly — the portal answers a repeated
            # submission "already submitted". Never add `non_idempotent` here.
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 2;
            proxy_connect_timeout 5s;
            proxy_read_timeout 90s;     # above gunicorn's 60 s: a slow export is cut off by gunicorn, not here
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            # Overwrites whatever the client sent: the servers trust this header (SECURE_PROXY_SSL_HEADER).
            proxy_set_header X-Forwarded-Proto https;
            proxy_redirect off;
        }}
    }}
}}
"""


def parse_access_log(text):
    """nginx's access log in LOG_FORMAT: [(method, path, status, [servers tried], [their statuses])], the server that
    answered last in each list (nginx lists every server it tried, comma-separated; "-" when none was)."""
    entries = []
    for line in text.splitlines():
        match = re.fullmatch(r'\S+ (\S+) (\S+) (\d{3}) "([^"]*)" "([^"]*)" \S+', line.strip())
        if not match:
            continue
        method, path, status, tried, statuses = match.groups()
        tried = [part.strip() for part in tried.split(",") if part.strip() not in ("", "-")]
        statuses = [int(part) if part.strip().isdigit() else None for part in statuses.split(",")][:len(tried)]
        entries.append((method, path, int(status), tried, statuses))
    return entries


def served_by(entries):
    """(Counter of (server, its status) for the server that answered each request last, how many requests nginx
    passed on from a failed server to the next)."""
    outcome = Counter((tried[-1], statuses[-1] if len(statuses) == len(tried) else None)
                      for *_, tried, statuses in entries if tried)
    return outcome, sum(len(tried) > 1 for *_, tried, _s in entries)


def record_section(doc, text):
    """performance.md with `text` as its cluster section: replaced between the markers, or added at the end under
    its heading. Nothing else of the file changes."""
    if START in doc and END in doc:
        before, _sep, rest = doc.partition(START)
        _old, _sep, after = rest.partition(END)
        return f"{before}{START}\n{text}\n{END}{after}"
    return f"{doc.rstrip()}\n\n{SECTION_TITLE}\n\n{START}\n{text}\n{END}\n"


def percentile(values, share):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * share))] if values else 0.0


# --- A client that keeps its cookies -------------------------------------------------------------------

class Browser:
    """Requests as one browser makes them: its cookies, Host and Origin; `source` its address. A request to the
    balancer goes as it is; one straight to a server carries the header the balancer would have added."""

    def __init__(self, balancer, source="127.0.0.1", cookies=None):
        self.balancer, self.source, self.cookies = balancer, source, dict(cookies or {})

    def request(self, method, port, path, form=None, headers=()):
        headers = {"Host": HOST, **({} if port == self.balancer else BALANCER_HEADERS), **dict(headers)}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers.update({"Content-Type": "application/x-www-form-urlencoded", "Origin": ORIGIN})
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120, source_address=(self.source, 0))
        started = time.monotonic()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            content = response.read()
        finally:
            connection.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in http.cookies.SimpleCookie(value).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return Answer(response.status, response.getheader("Location", ""), content, time.monotonic() - started)

    def get(self, port, path, **kwargs):
        return self.request("GET", port, path, **kwargs)

    def post(self, port, path, form, **kwargs):
        return self.request("POST", port, path, form={"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""),
                                                      **form}, **kwargs)


class Answer:
    def __init__(self, status, location, content, seconds):
        self.status, self.location, self.content, self.seconds = status, location, content, seconds
        self.text = content.decode("utf-8", "replace")


# --- The machinery: tools, servers, balancer -------------------------------------------------------------

def check_tools(redis_url):
    if not Path(NGINX).exists():
        if os.geteuid() == 0 and shutil.which("apt-get"):
            print("Installing the Debian package nginx (the balancer of make cluster) …", flush=True)
            subprocess.run(["apt-get", "update", "-qq"], check=True)
            subprocess.run(["apt-get", "install", "-y", "-qq", "nginx"], check=True,
                           env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        else:
            raise SystemExit(f"make cluster needs nginx ({NGINX} is missing): install the Debian package as root, "
                             "apt-get install nginx")
    import redis
    try:
        redis.Redis.from_url(redis_url, socket_timeout=2).ping()
    except redis.RedisError as exc:
        raise SystemExit(f"make cluster needs Redis at {redis_url}: it does not answer ({exc}); "
                         "apt-get install redis-server") from None


def cluster_env(args):
    """The benchmark's production settings (bench.run.bench_env) as every server of a cluster has them."""
    shared = VAR / "shared"
    return {
        **bench_env(args),
        "SECRET_KEY": "cluster-only-" + "k" * 50,
        "NAVPORTAL_VAR_DIR": str(shared),            # the one upload folder: shared/uploads
        "STATIC_ROOT": str(shared / "static"),
        "CACHE_URL": args.redis,                     # cache, cached_db sessions and rate limits, shared
        "TRUSTED_PROXIES": "1",
        "SECURE_SSL_REDIRECT": "1",
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
        # gunicorn itself believes X-Forwarded-Proto from 127.0.0.1 by default, which would make every request
        # here secure whatever Django's setting: trusting no address leaves the decision to the portal's settings,
        # as on a real balancer's network.
        "FORWARDED_ALLOW_IPS": "",
    }


def start_servers(env, ports, logs, processes):
    """gunicorn on each port (bench.run.start_server), each added to `processes` as soon as it answers. Its
    readiness probe would be redirected to HTTPS like any request without the balancer's header, so the probe
    speaks as the balancer does while the servers start."""
    opener = urllib.request.build_opener()
    opener.addheaders = [*opener.addheaders, *BALANCER_HEADERS.items()]
    urllib.request.install_opener(opener)
    try:
        for port, log in zip(ports, logs):
            processes.append(start_server("navportal.wsgi", port, env, log))
    finally:
        urllib.request.install_opener(None)


def start_nginx(port, servers, log, processes):
    """nginx in the foreground of its own process group, added to `processes` before it is waited for."""
    import pwd
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (VAR / "tmp" / name).mkdir(parents=True, exist_ok=True)
    (VAR / "access.log").write_text("")
    config = VAR / "nginx.conf"
    config.write_text(nginx_config(prefix=VAR, listen=f"127.0.0.1:{port}", servers=servers,
                                   user=pwd.getpwuid(os.getuid()).pw_name))
    command = [NGINX, "-p", str(VAR), "-c", str(config), "-e", str(VAR / "nginx-error.log")]
    subprocess.run([*command, "-t", "-q"], check=True)
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    processes.append(process)
    for _ in range(100):
        try:
            if Browser(port).get(port, "/").status == 200:
                return
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"nginx did not start; see {log.name} and {VAR / 'nginx-error.log'}")
        time.sleep(0.1)
    raise SystemExit(f"nginx did not answer on port {port}")


def stop(process):
    """The process group of `process` ended: SIGTERM, then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# --- The checks ------------------------------------------------------------------------------------------

def check(checks, name, ok, detail):
    checks.append((name, bool(ok), detail))
    print(f"- {'ok' if ok else 'FAILED'}: {name}: {detail}", flush=True)


def balancer_check(checks, lb, a):
    straight = Browser(lb).get(a, "/", headers={"X-Forwarded-Proto": "http"})
    through = Browser(lb).get(lb, "/")
    check(checks, "only the balancer's HTTPS header is served", straight.status == 301
          and straight.location.startswith("https://") and through.status == 200,
          f"straight to a server {straight.status} → {straight.location}; through nginx {through.status}")


def sessions_move(checks, lb, a, b, application):
    """Sign in once through nginx; both servers know the session; submit on A, the PDF laid out by B into the shared
    folder and read back by A; sign out on A, and B no longer knows the session."""
    from django.utils.html import escape

    from applications.models import ApplicationVersion
    from navportal.models import AuditEvent, User
    from portal.management.commands.load_demo import DEMO_PASSWORD

    user = User.objects.get(organisation=application.organisation_id)
    browser = Browser(lb, source="127.0.0.9")
    page = browser.get(lb, "/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    signed = browser.request("POST", lb, "/accounts/login/", form={
        "csrfmiddlewaretoken": token, "username": user.username, "password": DEMO_PASSWORD},
        headers={"X-Forwarded-For": "6.6.6.6"})  # forged by the client: nginx appends the real address after it
    login = AuditEvent.objects.filter(action="login", actor=user).order_by("-id").first()
    check(checks, "signed in once, through nginx, with the password", signed.status == 302
          and "sessionid" in browser.cookies and login is not None and login.ip == "127.0.0.9",
          f"{signed.status} → {signed.location}; audit line `login` from {login.ip if login else None} "
          f"(the client 127.0.0.9; the forged X-Forwarded-For ignored)")
    title = f'title="{escape(str(user))}"'
    known = {port: browser.get(port, "/applications/") for port in (a, b)}
    check(checks, "both servers know the session", all(r.status == 200 and title in r.text for r in known.values()),
          ", ".join(f"server {port}: {r.status}" for port, r in known.items()))

    submitted = browser.post(a, f"/applications/{application.pk}/submit/", {})
    from_b = browser.get(b, f"/applications/{application.pk}/versions/1.pdf")
    from_a = browser.get(a, f"/applications/{application.pk}/versions/1.pdf")
    version = ApplicationVersion.objects.get(application=application)
    on_disk = Path(version.pdf.path) if version.pdf else None
    laid_out = AuditEvent.objects.filter(action="version_pdf_make", object_id=str(application.pk)).count()
    check(checks, "one upload folder: B's file read by A", submitted.status == 302
          and submitted.location.endswith(f"/applications/{application.pk}/") and from_b.status == from_a.status == 200
          and from_b.content.startswith(b"%PDF") and from_a.content == from_b.content and laid_out == 1
          and on_disk is not None and on_disk.is_relative_to(VAR / "shared" / "uploads")
          and on_disk.read_bytes() == from_b.content,
          f"submitted on A ({submitted.status}); its PDF laid out by B ({len(from_b.content)} bytes, "
          f"{from_b.seconds:.1f} s) into {on_disk.relative_to(ROOT) if on_disk else None}, read by A "
          f"({from_a.seconds:.2f} s, the same bytes); laid out {laid_out} time(s)")

    session = browser.cookies["sessionid"]
    out = browser.post(a, "/accounts/logout/", {})
    old = Browser(lb, cookies={"sessionid": session})
    after = {port: old.get(port, "/applications/") for port in (b, a)}
    check(checks, "signed out on A, the session is gone on B too", out.status == 302 and all(
        r.status == 302 and "/accounts/login/" in r.location for r in after.values()),
          f"sign-out on A {out.status}; the old session cookie then: "
          + ", ".join(f"server {port} {r.status} → {r.location}" for port, r in after.items()))


def race_call(racers):
    """A call whose packages are open, and `racers` applications of one province at its desk, made through the
    services as CNIPA and the applicants would (the generated call's proposed list is published: its packages are
    closed). Returns the applications."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from applications import services
    from applications.enums import AttachmentKind, Route, Verification
    from applications.models import Application, Organisation
    from applications.sections import SECTIONS
    from applications.workflow import route_for
    from navportal.demo.content import TINY_PDF, complete_values, service_rows, staff_rows
    from navportal.models import Role, User
    from navportal.privacy_rules import RULES_VERSION
    from review.calls import call_save
    from review.models import all_exempt_categories

    cnipa = User.objects.filter(role=Role.NATIONAL).order_by("pk").first()
    now = timezone.now()
    call = call_save(actor=cnipa, values={
        "title": "国家级专利导航服务基地申报（集群测试批次）", "document_number": "集群测试〔2026〕1号",
        "notice_text": "make cluster 的配额竞争所用批次。", "opens_at": now - datetime.timedelta(days=1),
        "deadline": now + datetime.timedelta(days=30), "quota": 3, "ministry_quota": None, "notice_working_days": 5,
        "exempt_categories": all_exempt_categories()})
    by_province = {}
    for organisation in Organisation.objects.filter(verification=Verification.VERIFIED).order_by("pk"):
        if route_for(organisation.applicant_type, organisation.affiliation) == Route.PROVINCE:
            by_province.setdefault(organisation.province_id, []).append(organisation)
    organisations = max(by_province.values(), key=len)[:racers]
    values = complete_values()
    applications = []
    for organisation in organisations:
        user = User.objects.get(organisation=organisation)
        application = services.application_start(actor=user, call=call)
        services.application_pledge(actor=user, application_id=application.pk)
        for section in SECTIONS:
            services.application_save_section(
                actor=user, application_id=application.pk, section_key=section.key,
                values={f: values[f] for f in section.fields if f in values},
                rows={"staff": staff_rows(5), "services": service_rows(5)}.get(section.rows),
                lock_version=Application.objects.get(pk=application.pk).lock_version, privacy_version=RULES_VERSION)
        services.application_attach(
            actor=user, application_id=application.pk, kind=AttachmentKind.SEALED_SCAN,
            upload=SimpleUploadedFile("申请表盖章扫描件.pdf", TINY_PDF, "application/pdf"), content_type="application/pdf")
        problems = services.application_submit(actor=user, application_id=application.pk)
        if problems:
            raise SystemExit(f"the race's application {application.pk} could not be submitted: {problems}")
        applications.append(Application.objects.select_related("call", "province").get(pk=application.pk))
    return applications


def quota_race(checks, lb, servers, racers):
    """The reviewers of one province recommend `racers` applications at once, spread over the servers, into their
    package of a call with a quota of 3."""
    from django.utils import translation
    from django.utils.html import escape

    from applications.enums import State
    from applications.models import Application
    from navportal.models import Role, User
    from review.models import Package
    from review.quota import quota_usage

    from .sessions import signed_in

    candidates = race_call(racers)
    call, province = candidates[0].call, candidates[0].province
    reviewers = list(User.objects.filter(role=Role.PROVINCE, province=province).order_by("pk"))
    sessions = [signed_in(reviewers[i % len(reviewers)]) for i in range(racers)]
    barrier = threading.Barrier(racers)
    results = [None] * racers

    def recommend(index):
        session, csrf = sessions[index]
        browser = Browser(lb, cookies={"sessionid": session, "csrftoken": csrf})
        barrier.wait()
        results[index] = browser.post(servers[index % len(servers)],
                                      f"/review/applications/{candidates[index].pk}/decide/recommend/",
                                      {"recommend-opinion": "同意推荐。（集群测试）", "recommend-score": ""})

    threads = [threading.Thread(target=recommend, args=(i,)) for i in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with translation.override("zh-hans"):
        refusal = escape(translation.gettext("The quota of %(quota)d is used up. Take back a recommendation first, "
                                             "or verify an exemption claim.") % {"quota": call.quota})
    accepted = [i for i, r in enumerate(results)
                if r.status == 302 and r.location.endswith(f"/review/applications/{candidates[i].pk}/")]
    refused = [i for i, r in enumerate(results) if r.status == 409 and refusal in r.text]
    packages = list(Package.objects.filter(call=call))  # made by the race itself (package_get_or_create)
    counted = [quota_usage(list(p.recommendations.select_related("application")), call, p.quota)[0]
               for p in packages]
    recommended = set(Application.objects.filter(pk__in=[a.pk for a in candidates], state=State.RECOMMENDED)
                      .values_list("pk", flat=True))
    per_server = Counter(servers[i % len(servers)] for i in accepted)
    check(checks, "the quota holds across servers", len(accepted) == call.quota
          and len(refused) == racers - call.quota and counted == [call.quota]
          and recommended == {candidates[i].pk for i in accepted},
          f"{province}: {racers} recommendations at once into a package with a quota of {call.quota}, from "
          f"{len(reviewers)} reviewers in {racers} sessions, half through each server: {len(accepted)} accepted "
          f"({', '.join(f'{n} on :{s}' for s, n in sorted(per_server.items()))}), {len(refused)} refused (409, "
          f"\"{refusal}\"), other {sorted(r.status for i, r in enumerate(results) if i not in accepted + refused)}; "
          f"packages of the call: {len(packages)}, counting {counted} against the quota")


def burst(checks, args, lb, victim, drafts, sessions, log_mark):
    """bench/burst.py's deadline burst through nginx, server `victim` killed after args.kill_after answers; then,
    once nginx would try the dead server again, every failed submission retried once by its client, beside a few
    acknowledged ones sent again (a second click: they must answer "already submitted")."""
    from django.utils import translation
    from django.utils.html import escape

    ids = [a.pk for a in drafts]
    barrier = threading.Barrier(len(drafts))
    results = [None] * len(drafts)
    headers = {"Origin": ORIGIN}
    threads = [threading.Thread(target=submit, args=(lb, a.pk, s, c, barrier, results, i, headers))
               for i, (a, (s, c)) in enumerate(zip(drafts, sessions))]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    killed = None
    while any(thread.is_alive() for thread in threads):
        answered = sum(r is not None for r in results)
        if killed is None and answered >= args.kill_after:
            os.killpg(victim.pid, signal.SIGKILL)  # the master and its workers, mid-request
            victim.wait()
            killed = (answered, time.monotonic() - started)
        time.sleep(0.002)
    elapsed = time.monotonic() - started
    if killed is None:
        raise SystemExit(f"the burst ended before {args.kill_after} answers: nothing was killed")

    acknowledged = [i for i, r in enumerate(results) if r[0] == 302 and r[1].endswith(f"/applications/{ids[i]}/")]
    failed = [i for i in range(len(ids)) if i not in set(acknowledged)]
    states, versions, audited = stored(ids)
    committed_anyway = {i for i in failed if versions[ids[i]]}
    again = acknowledged[:5]

    # After fail_timeout nginx tries the dead server again: the retries' first POSTs meet a refused connection, which
    # nginx may pass on (nothing was sent), and must reach B.
    time.sleep(max(0.0, started + killed[1] + FAIL_TIMEOUT + 1 - time.monotonic()))
    with translation.override("zh-hans"):
        done_text = escape(translation.gettext(
            "Submitted. Its reference number is %(reference)s; please quote it when you contact the bureau. You will "
            "be told of every decision by e-mail and here.").split("%(reference)s")[0])
        again_text = escape(translation.gettext(
            "This application was submitted at %(time)s; nothing more to do.").split("%(time)s")[0])
    sent_again = failed + again
    answers = [None] * len(sent_again)

    def retry(slot, index):
        session, csrf = sessions[index]
        browser = Browser(lb, cookies={"sessionid": session, "csrftoken": csrf})
        answer = browser.post(lb, f"/applications/{ids[index]}/submit/", {})
        said = "other"
        if answer.status == 302 and answer.location.endswith(f"/applications/{ids[index]}/"):
            landing = browser.get(lb, answer.location).text  # where the message is shown
            said = "submitted" if done_text in landing else "already submitted" if again_text in landing else said
        answers[slot] = said

    retry_threads = [threading.Thread(target=retry, args=(slot, index)) for slot, index in enumerate(sent_again)]
    for thread in retry_threads:
        thread.start()
    for thread in retry_threads:
        thread.join()
    expected = ["already submitted" if i in committed_anyway or i in again else "submitted" for i in sent_again]
    retried_ok = sum(said == want for said, want in zip(answers[:len(failed)], expected))
    again_ok = sum(said == want for said, want in zip(answers[len(failed):], expected[len(failed):]))
    final_states, final_versions, final_audited = stored(ids)

    submits = [e for e in parse_access_log((VAR / "access.log").read_text()[log_mark:])
               if e[0] == "POST" and e[1].endswith("/submit/")]
    burst_outcome, _ = served_by(submits[:len(ids)])  # the retries began after the burst's last answer
    retry_outcome, retry_passed_on = served_by(submits[len(ids):])
    statuses = Counter(r[0] for r in results)
    ack_latency = [results[i][2] for i in acknowledged]
    check(checks, "every acknowledged submission stored once, with its audit line", acknowledged and all(
        states[ids[i]] in DESK and versions[ids[i]] == 1 and audited[ids[i]] == 1 for i in acknowledged),
          f"{len(acknowledged)} acknowledged of {len(ids)}; server A killed after {killed[0]} answers "
          f"({killed[1]:.2f} s); statuses {dict(sorted(statuses.items()))}")
    check(checks, "every failed submission, retried once, stored once", failed and retried_ok == len(failed)
          and all(final_states[pk] in DESK and final_versions[pk] == 1 and final_audited[pk] == 1 for pk in ids),
          f"{len(failed)} failed at the kill ({len(committed_anyway)} of them committed by A before it died); "
          f"retried {FAIL_TIMEOUT + 1} s after the kill: {retried_ok} answered as they should "
          f"({dict(Counter(answers[:len(failed)]))}), {retry_passed_on} of them passed on by nginx from A's refused "
          f"connection to B; stored exactly once now: {sum(final_versions[pk] == 1 for pk in ids)} of {len(ids)}")
    check(checks, "an acknowledged submission sent again is answered \"already submitted\"", again_ok == len(again),
          f"{again_ok} of {len(again)}")
    check(checks, "no application submitted twice",
          all(n <= 1 for n in versions.values()) and all(n <= 1 for n in final_versions.values())
          and all(n <= 1 for n in final_audited.values()),
          "at most one version and one audit line each, before and after the retries")
    return {
        "applicants": len(ids), "elapsed": elapsed, "killed": killed, "acknowledged": len(acknowledged),
        "failed": len(failed), "committed_anyway": len(committed_anyway), "retried_ok": retried_ok,
        "retry_said": Counter(answers[:len(failed)]), "again": len(again), "again_ok": again_ok,
        "stored": sum(final_versions[pk] == 1 for pk in ids), "statuses": dict(sorted(statuses.items())),
        "p50": statistics.median(ack_latency) if ack_latency else 0, "p95": percentile(ack_latency, 0.95),
        "max": max(ack_latency, default=0), "burst_outcome": burst_outcome, "retry_outcome": retry_outcome,
        "retry_passed_on": retry_passed_on,
    }


# --- The run ---------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("CLUSTER_DB", "navcluster"))
    parser.add_argument("--applications", type=int, default=3000)
    parser.add_argument("--applicants", type=int, default=200)
    parser.add_argument("--kill-after", type=int, default=50, help="answers of the burst before server A is killed")
    parser.add_argument("--racers", type=int, default=8)
    parser.add_argument("--port", type=int, default=8400, help="server A's; B the next, nginx the one after")
    parser.add_argument("--redis", default=os.environ.get("CLUSTER_REDIS", "redis://127.0.0.1:6379/6"))
    parser.add_argument("--pg-log", default=os.environ.get("BURST_PG_LOG", "/var/log/postgresql/postgresql-15-main.log"))
    parser.add_argument("--record", action="store_true", help="write the run into docs/performance.md")
    args = parser.parse_args()
    run_started = time.monotonic()
    check_tools(args.redis)
    import redis
    redis.Redis.from_url(args.redis).flushdb()  # its own database: nothing of an earlier run is read
    VAR.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(VAR / "shared" / "uploads", ignore_errors=True)
    env = cluster_env(args)
    load_before = " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    generated = prepare_database(args, env)
    print(generated, flush=True)
    run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django
    django.setup()
    from navportal.models import User

    from .sessions import signed_in

    a, b, lb = args.port, args.port + 1, args.port + 2
    drafts = complete_drafts(args.applicants + 1)
    drafts, visitor = drafts[:-1], drafts[-1]
    sessions = [signed_in(User.objects.get(organisation=d.organisation_id)) for d in drafts]
    log, log_start = pg_log_mark(args.pg_log)
    checks, processes, logs = [], [], []
    try:
        logs = [open(VAR / name, "w") for name in ("server-a.log", "server-b.log", "nginx.log")]
        start_servers(env, [a, b], logs[:2], processes)
        start_nginx(lb, [f"127.0.0.1:{a}", f"127.0.0.1:{b}"], logs[2], processes)
        print(f"\nServers A :{a} and B :{b} behind nginx :{lb} (logs in {VAR.relative_to(ROOT)}).", flush=True)
        balancer_check(checks, lb, a)
        sessions_move(checks, lb, a, b, visitor)
        quota_race(checks, lb, [a, b], args.racers)
        before_burst = len((VAR / "access.log").read_text())
        result = burst(checks, args, lb, processes[0], drafts, sessions, before_burst)
    finally:
        for process in reversed(processes):
            stop(process)
        for handle in logs:
            handle.close()
    verify = verify_audit(env)
    check(checks, "the audit chain is intact", verify.returncode == 0, verify.stdout.strip() or verify.stderr.strip())
    deadlock_count, deadlocks = pg_log_deadlocks(log, log_start)
    check(checks, "no deadlock", not deadlock_count, deadlocks)
    total, _passed_on = served_by(parse_access_log((VAR / "access.log").read_text()))
    passed = all(ok for _name, ok, _detail in checks)

    result["run_seconds"] = time.monotonic() - run_started
    report = summary(args, generated, load_before, checks, result, total, passed)
    print()
    print(report)
    if args.record:
        DOC.write_text(record_section(DOC.read_text(encoding="utf-8"), report), encoding="utf-8")
        print(f"\nRecorded in {DOC.relative_to(ROOT)}.")
    print("PASSED" if passed else "FAILED")
    sys.exit(0 if passed else 1)


def summary(args, generated, load_before, checks, result, total, passed):
    a, b = f"127.0.0.1:{args.port}", f"127.0.0.1:{args.port + 1}"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    burst_by = result["burst_outcome"]
    on = (lambda outcome, server, ok=True: sum(n for (s, status), n in outcome.items()
                                               if s == server and (status is not None and status < 500) == ok))
    whole = {server: sum(n for (s, _status), n in total.items() if s == server) for server in (a, b)}
    return "\n".join([
        f"Run of {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, commit {commit} — `make cluster`"
        f": {'all checks passed' if passed else '**checks failed**'}",
        "",
        f"- Machine: {machine()}; nginx {nginx_version()}, Redis {redis_version(args.redis)}; load average before "
        f"the run {load_before}",
        f"- Two servers on this one machine, A (:{args.port}) and B (:{args.port + 1}), each gunicorn "
        f"{', '.join(bench_gunicorn())} with production settings, behind nginx (round robin, `proxy_next_upstream "
        f"error timeout`, the config bench/cluster.py writes to var/cluster/nginx.conf); one PostgreSQL, Redis "
        f"database {args.redis.rsplit('/', 1)[-1]} (cache, cached_db sessions, rate limits), one upload folder, one "
        f"key file; `SECURE_SSL_REDIRECT=1`, `SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https`, "
        f"`TRUSTED_PROXIES=1`",
        f"- Data: {generated}",
        "",
        f"Deadline burst across both: {result['applicants']} applicants submitting at once through nginx; server A's "
        f"process group killed (SIGKILL) after {result['killed'][0]} answers, {result['killed'][1]:.2f} s in.",
        "",
        "| | |",
        "|---|---:|",
        f"| acknowledged (302 to the application) | {result['acknowledged']} |",
        f"| failed at the kill (nginx 502: the POST had reached A, so nginx did not pass it on) | {result['failed']} |",
        f"| … of which A had committed before it died | {result['committed_anyway']} |",
        f"| failed ones retried once by their client ({FAIL_TIMEOUT + 1} s after the kill), answered as they should: "
        f"submitted / already submitted | {result['retried_ok']} of {result['failed']} "
        f"({result['retry_said'].get('submitted', 0)} / {result['retry_said'].get('already submitted', 0)}) |",
        f"| … retries nginx passed on from A's refused connection to B | {result['retry_passed_on']} |",
        f"| acknowledged ones sent again, answered \"already submitted\" | {result['again_ok']} of {result['again']} |",
        f"| stored exactly once in the end (one version, one audit line) | {result['stored']} of "
        f"{result['applicants']} |",
        f"| burst answered in | {result['elapsed']:.2f} s |",
        f"| latency of the acknowledged, p50 / p95 / max | {result['p50'] * 1000:.0f} / {result['p95'] * 1000:.0f} / "
        f"{result['max'] * 1000:.0f} ms |",
        f"| burst POSTs answered by A / failed at A / answered by B (nginx's `$upstream_addr`) | "
        f"{on(burst_by, a)} / {on(burst_by, a, False)} / {on(burst_by, b)} |",
        f"| whole run, requests that reached A / B | {whole[a]} / {whole[b]} |",
        f"| `make cluster` took (data, servers, checks, the wait for nginx's fail_timeout) | "
        f"{result['run_seconds']:.0f} s |",
        "",
        "Checks:",
        "",
        *[f"- {'ok' if ok else '**FAILED**'} — {name}: {detail}" for name, ok, detail in checks],
    ])


def nginx_version():
    out = subprocess.run([NGINX, "-v"], capture_output=True, text=True)
    return (out.stderr or out.stdout).strip().rsplit("/", 1)[-1]


def redis_version(url):
    import redis
    return redis.Redis.from_url(url).info("server").get("redis_version", "?")


if __name__ == "__main__":
    main()
