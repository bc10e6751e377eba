"""python -m tests.oidc_provider.serve PORT: migrate the provider's own SQLite file, create its users and its one
client from the environment (runner.start_provider), and serve on 127.0.0.1:PORT until terminated."""

import os
import sys

import django


def main(port):
    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    for username, user in settings.PROVIDER_USERS.items():
        User.objects.create_user(username=username, password=user["password"])
    Application.objects.create(
        name="navportal", client_id=os.environ["PROVIDER_CLIENT_ID"],
        client_secret=os.environ["PROVIDER_CLIENT_SECRET"], client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE, algorithm=Application.RS256_ALGORITHM,
        redirect_uris=os.environ["PROVIDER_REDIRECT_URIS"], skip_authorization=True)
    call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, use_threading=True, verbosity=0)


if __name__ == "__main__":
    main(int(sys.argv[1]))
