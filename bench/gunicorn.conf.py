"""The one gunicorn configuration of the benchmark, for the portal and the floor alike (and a starting point
for production: see docs/deployment.md)."""

import multiprocessing
import os

bind = os.environ.get("BENCH_BIND", "127.0.0.1:8100")
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"
timeout = 60
accesslog = None
errorlog = "-"
loglevel = "warning"
