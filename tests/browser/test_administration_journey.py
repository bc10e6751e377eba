"""The administrators' journey, two people for powers (issue 15, point 4): the system administrator asks for a
CNIPA account on the accounts page, sees it waiting on his requests page; the account does not exist and no mail
has gone out; the security administrator finds it in his queue and approves it; then the account exists and its
holder has the link to set the password. Every page is checked (axe, keyboard; on a phone, no sideways
scrolling)."""

import re


from navportal.models import AccountRequest, Role, User
from tests.browser.conftest import BROWSER_TEST, log_in, log_out, official, shot, shot_phone, submit, visit, zh
from tests.mail_helpers import mail_beyond_administrators

pytestmark = BROWSER_TEST


def test_an_account_asked_by_one_administrator_exists_once_the_other_approves(page, live_server):
    official("sysadmin-j", Role.SYSTEM_ADMIN)
    official("secadmin-j", Role.SECURITY_ADMIN)

    # --- The system administrator asks ---
    log_in(page, "sysadmin-j")
    visit(page, "/admin/accounts/new/")
    page.fill("[name=username]", "cnipa-zhang")
    page.fill("[name=display_name]", "运用促进司 张处长")
    page.fill("[name=email]", "zhang@cnipa.example.cn")
    page.select_option("[name=role]", "national")
    submit(page, "main form button[type=submit]")
    assert page.url.endswith("/admin/accounts/requests/"), page.url
    assert page.locator(".alert-success").count() == 1
    assert page.get_by_text(zh("Awaiting approval")).count() == 1
    shot(page, "account-requests")
    assert not User.objects.filter(username="cnipa-zhang").exists() and mail_beyond_administrators() == []
    log_out(page)

    # --- The security administrator approves ---
    log_in(page, "secadmin-j")
    visit(page, "/admin/security/")
    with page.expect_navigation():
        page.locator("a[href$='/admin/security/requests/']").last.click()
    (request,) = AccountRequest.objects.filter(username="cnipa-zhang")
    card = page.locator(f"section[aria-labelledby='request-{request.pk}-title']")
    assert "zhang@cnipa.example.cn" in card.inner_text()
    shot(page, "account-approvals")
    shot_phone(page, "account-approvals-phone")
    submit(page, f"form[action$='/admin/security/requests/{request.pk}/approve/'] button")
    assert page.locator(".alert-success").count() == 1
    assert page.get_by_text(zh("No request awaits your decision.")).count() == 1

    user = User.objects.get(username="cnipa-zhang")
    assert (user.role, user.email, user.has_usable_password()) == ("national", "zhang@cnipa.example.cn", False)
    (welcome,) = mail_beyond_administrators()
    assert welcome.to == ["zhang@cnipa.example.cn"] and re.search(r"/accounts/reset/\S+", welcome.body)
