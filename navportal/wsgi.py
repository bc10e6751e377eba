import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "navportal.settings")
application = get_wsgi_application()

from navportal.dbfeatures import refuse_incapable_database  # noqa: E402 - needs the settings loaded above

# gunicorn runs no system checks, and runserver none on the database: the refusal of `migrate`, here too.
refuse_incapable_database()
