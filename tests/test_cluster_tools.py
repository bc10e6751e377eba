"""The pure pieces of `make cluster` (bench/cluster.py): the balancer's nginx configuration, the reading of its
access log, and the section it writes into docs/performance.md. The cluster itself is a make target, like the burst."""

import getpass
import subprocess
from pathlib import Path

import pytest

from bench.cluster import END, NGINX, SECTION_TITLE, START, nginx_config, parse_access_log, record_section, served_by

SERVERS = ["127.0.0.1:8400", "127.0.0.1:8401"]


def test_the_balancer_passes_on_only_what_never_reached_a_server_and_claims_https():
    config = nginx_config(prefix="/srv/lb", listen="127.0.0.1:8402", servers=SERVERS, user="navportal")
    upstream = config[config.index("upstream navportal {"):config.index("}", config.index("upstream navportal {"))]
    assert [line.split()[1] for line in upstream.splitlines()[1:] if line.strip()] == SERVERS
    directives = [line.strip() for line in config.splitlines() if line.strip() and not line.strip().startswith("#")]
    # A POST that reached a dying server may have been carried out: no `non_idempotent`, so nginx answers 502.
    assert "proxy_next_upstream error timeout;" in directives
    assert not [d for d in directives if "non_idempotent" in d]
    # Set, not appended: a client's own X-Forwarded-Proto never reaches the servers, which trust this one.
    assert "proxy_set_header X-Forwarded-Proto https;" in directives
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in directives
    assert "listen 127.0.0.1:8402;" in directives and "daemon off;" in directives
    for name in ("pid", "error_log", "access_log", "client_body_temp_path", "proxy_temp_path"):
        line = next(d for d in directives if d.split()[0] == name)
        assert line.split()[1].startswith("/srv/lb/"), line


@pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed (apt-get install nginx)")
def test_nginx_accepts_the_configuration(tmp_path):
    for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "tmp" / name).mkdir(parents=True)
    (tmp_path / "nginx.conf").write_text(nginx_config(prefix=tmp_path, listen="127.0.0.1:8419", servers=SERVERS,
                                                      user=getpass.getuser()))
    result = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                             "-e", str(tmp_path / "error.log")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


ACCESS_LOG = """\
1796065463.101 GET / 200 "127.0.0.1:8400" "200" 0.012
1796065463.552 POST /applications/54/submit/ 302 "127.0.0.1:8400, 127.0.0.1:8401" "502, 302" 0.157
1796065463.553 POST /applications/55/submit/ 502 "127.0.0.1:8400" "502" 3.101
1796065463.554 POST /applications/56/submit/ 302 "127.0.0.1:8401" "302" 2.950
1796065463.555 GET /favicon.ico 499 "-" "-" 0.000
a line of something else
"""


def test_the_access_log_says_which_server_answered_and_what_was_passed_on():
    entries = parse_access_log(ACCESS_LOG)
    assert entries == [
        ("GET", "/", 200, ["127.0.0.1:8400"], [200]),
        ("POST", "/applications/54/submit/", 302, SERVERS, [502, 302]),
        ("POST", "/applications/55/submit/", 502, ["127.0.0.1:8400"], [502]),
        ("POST", "/applications/56/submit/", 302, ["127.0.0.1:8401"], [302]),
        ("GET", "/favicon.ico", 499, [], []),
    ]
    outcome, passed_on = served_by(entries)
    assert outcome == {("127.0.0.1:8400", 200): 1, ("127.0.0.1:8401", 302): 2, ("127.0.0.1:8400", 502): 1}
    assert passed_on == 1


def test_the_run_is_recorded_in_its_own_section_only():
    doc = "# Performance\n\n<!-- bench:start -->\nthe lead's table\n<!-- bench:end -->\n\nMore text.\n"
    first = record_section(doc, "run 1")
    assert first == f"{doc.rstrip()}\n\n{SECTION_TITLE}\n\n{START}\nrun 1\n{END}\n"
    second = record_section(first + "\nA note after it.\n", "run 2")
    assert second == f"{doc.rstrip()}\n\n{SECTION_TITLE}\n\n{START}\nrun 2\n{END}\n\nA note after it.\n"
    assert second.count(SECTION_TITLE) == 1
