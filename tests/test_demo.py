"""The demo data of `make run`: loaded quietly, and every account it creates is listed in README.md."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command

from navportal.models import User

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the e-mails go out on commit
def test_loading_the_demo_prints_no_raw_e_mails(settings, capsys):
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"  # as in development
    call_command("load_demo")
    printed = capsys.readouterr()
    assert "MIME-Version" not in printed.out + printed.err
    assert "Content-Transfer-Encoding" not in printed.out + printed.err
    assert "notifications are in the demo accounts' messages" in printed.out
    assert "Demo data ready." in printed.out


def test_every_demo_account_is_listed_in_the_readme(settings, db):
    settings.DEBUG = True
    call_command("load_demo")
    readme = README.read_text()
    listed = set(re.findall(r"`([a-z0-9@.\-]+)`", readme))
    # The provincial reviewers are listed as a range (`prov-11` … `prov-65`, `prov-66`).
    missing = [name for name in User.objects.values_list("username", flat=True)
               if name not in listed and not re.fullmatch(r"prov-\d\d", name)]
    assert missing == []
