"""Profile one page of the portal on the benchmark's database with pyinstrument, in-process (no server):

    .venv/bin/python -m bench.profile /review/ --as province [--times 50]

--as: province (the biggest province's first reviewer), cnipa, applicant (of a complete draft), or nobody.
Run `make bench` (or bench/run.py) first: it leaves its database (BENCH_DB, default navbench) behind.
"""

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--as", dest="who", default="nobody", choices=("province", "cnipa", "applicant", "nobody"))
    parser.add_argument("--times", type=int, default=50)
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", "navbench"))
    args = parser.parse_args()
    from .run import bench_env
    os.environ.update(bench_env(args))
    sys.path.insert(0, str(ROOT))
    import django
    django.setup()
    from django.db.models import Count
    from django.test import Client
    from pyinstrument import Profiler

    from applications.models import Application
    from navportal.models import Role, User
    from review.models import Package

    from .sessions import signed_in

    user = None
    if args.who == "province":
        package = Package.objects.filter(province__isnull=False, status="open").annotate(
            n=Count("recommendations")).order_by("-n", "pk").first()
        user = User.objects.filter(role=Role.PROVINCE, province=package.province_id).order_by("pk").first()
    elif args.who == "cnipa":
        user = User.objects.filter(role=Role.NATIONAL).order_by("pk").first()
    elif args.who == "applicant":
        draft = Application.objects.filter(state="draft", attachments__kind="sealed_scan").order_by("pk").first()
        user = User.objects.get(organisation=draft.organisation_id)
    client = Client(HTTP_HOST="127.0.0.1")
    if user is not None:
        key, csrf = signed_in(user)
        client.cookies["sessionid"] = key
        client.cookies["csrftoken"] = csrf
    status = client.get(args.path).status_code  # warm: templates compiled, translations loaded
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(args.times):
        client.get(args.path)
    profiler.stop()
    print(f"{args.path} as {args.who}: status {status}, {args.times} requests")
    print(profiler.output_text(unicode=True, color=False, show_all=bool(os.environ.get("PROFILE_ALL")), short_mode=False))


if __name__ == "__main__":
    main()
