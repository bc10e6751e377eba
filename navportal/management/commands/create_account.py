"""Create an account from the command line: the three administrators at installation (the system
administrator's page cannot make or change them), or an official when no system administrator exists yet.

    manage.py create_account sysadmin1 --role sysadmin --name 王管理 --email wang@cnipa.example \
        --site https://navportal.example.cn

No password is set: the command prints a link (valid PASSWORD_RESET_TIMEOUT seconds) with which the holder
sets one; hand it over in person. The creation is audited as done by the command.

The bootstrap exception to two people for powers: on the pages, an official's account exists only once the
security administrator approves the system administrator's request (navportal/administration.py); this command,
run by whoever operates the server, makes the account at once. It is for the administrators themselves.
"""

from django.core.management.base import BaseCommand, CommandError

from navportal.administration import new_account, set_password_link
from navportal.errors import PortalError
from navportal.models import ADMIN_ROLES, City, Ministry, Province, Role


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
        kinds = {Role.CITY: City, Role.PROVINCE: Province, Role.MINISTRY: Ministry}
        place = None
        if role in kinds:
            place = kinds[role].objects.filter(code=scope).first()
            if place is None:
                raise CommandError(f"--scope must be the code of a {kinds[role]._meta.verbose_name} for role {role}.")
        elif scope:
            raise CommandError(f"Role {role} has no scope; leave --scope out.")
        try:
            user = new_account(username=username, display_name=name, email=email, role=role,
                               scope=place,
                               by="manage.py create_account")
        except PortalError as exc:
            raise CommandError(str(exc)) from None
        kind = "administrator" if role in ADMIN_ROLES else "official"
        self.stdout.write(f"Created the {kind} {username} ({role}). The holder sets the password here:\n"
                          f"{set_password_link(user, site)}")
