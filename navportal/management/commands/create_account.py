"""Create an account from the command line: the three administrators at installation (the system
administrator's page cannot make or change them), or an official when no system administrator exists yet.

    manage.py create_account sysadmin1 --role sysadmin --name 王管理 --email wang@cnipa.example \
        --site https://navportal.example.cn

No password is set: the command prints a link (valid PASSWORD_RESET_TIMEOUT seconds) with which the holder
sets one; hand it over in person. The creation is audited as done by the command.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from navportal.administration import describe, set_password_link
from navportal.audit import audit_record
from navportal.models import ADMIN_ROLES, City, Ministry, Province, Role, User


class Command(BaseCommand):
    help = "Create an administrator's or official's account and print the link to set its password."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[r for r in Role.values if r != Role.APPLICANT])
        parser.add_argument("--name", required=True, help="the person and the bureau")
        parser.add_argument("--email", required=True)
        parser.add_argument("--scope", default="", help="city or province code (GB/T 2260) or ministry code")
        parser.add_argument("--site", required=True, help="the portal's address, e.g. https://navportal.example.cn")

    def handle(self, username, role, name, email, scope, site, **options):
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(f"The user name {username} is taken.")
        kinds = {Role.CITY: City, Role.PROVINCE: Province, Role.MINISTRY: Ministry}
        fields = {}
        if role in kinds:
            model = kinds[role]
            place = model.objects.filter(code=scope).first()
            if place is None:
                raise CommandError(f"--scope must be the code of a {model._meta.verbose_name} for role {role}.")
            fields[model._meta.model_name] = place
        elif scope:
            raise CommandError(f"Role {role} has no scope; leave --scope out.")
        with transaction.atomic():
            user = User(username=username, display_name=name, email=email, role=role, **fields)
            user.set_unusable_password()
            user.save()
            audit_record(actor=None, username="manage.py create_account", action="account_create", obj=user,
                         to_state=describe(user), note=f"{username} {name}")
        kind = "administrator" if role in ADMIN_ROLES else "official"
        self.stdout.write(f"Created the {kind} {username} ({role}). The holder sets the password here:\n"
                          f"{set_password_link(user, site)}")
