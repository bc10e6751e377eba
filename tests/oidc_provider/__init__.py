"""A real OpenID Connect provider for the tests: django-oauth-toolkit's, in a second Django process of its own
(settings.py here, its own SQLite file), started on a free port by `start_provider` (runner.py). It plays the
government identity platform (统一身份认证): its users' claims carry a unified social credit code, a name and an
e-mail, and — for a certificate-level login — an `acr` value."""
