"""The floor: the least a Django page can cost on this machine, served by the same gunicorn configuration on the
same database as the portal. One view renders 50 rows fetched with one query, with production settings
(DEBUG off) and no middleware beyond security and common. Not part of the portal."""

import os

import dj_database_url

SECRET_KEY = os.environ.get("SECRET_KEY", "floor-" * 10)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
# The same connection policy as the portal (navportal/settings.py).
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DATABASE_CONN_MAX_AGE") or 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
INSTALLED_APPS = ["bench.floor"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware", "django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "bench.floor.urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
