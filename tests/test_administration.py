"""The system administrator's accounts and roles, the security administrator's lockouts and second factors,
and `manage.py create_account` for the administrators themselves (issue 5, points 1, 2 and 6). The approval of
accounts and of changes of role, scope and e-mail by the security administrator (issue 15, point 4) is in
tests/test_two_person.py."""

import datetime
import re

import pytest
from django.conf import settings
from axes.models import AccessAttempt
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import given
from hypothesis import strategies as st

from navportal import administration
from navportal.admin_views import AccountForm, RefuseForm
from navportal.errors import PortalError
from navportal.models import AccountRequest, AuditEvent, City, Province, Role, User
from tests.conftest import PASSWORD, make_user
from tests.mail_helpers import mail_beyond_administrators
from tests.hostile_strategies import (
    assert_fits_columns, assert_refusal_explained, assert_stored_as_typed, form_strategies, hostile, hostile_text,
    post_data, rolled_back, sent, typed_keys,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sysadmin():
    return make_user("sys", Role.SYSTEM_ADMIN)


@pytest.fixture
def secadmin():
    return make_user("sec", Role.SECURITY_ADMIN)


@pytest.fixture
def as_sysadmin(client, sysadmin):
    client.force_login(sysadmin)
    return client


@pytest.fixture
def as_secadmin(client, secadmin):
    client.force_login(secadmin)
    return client


def last_event(action):
    return AuditEvent.objects.filter(action=action).order_by("-id").first()


def new_city_official(client, **extra):
    nanjing = City.objects.get(code="320100")
    return client.post("/admin/accounts/new/", {
        "username": "nj-reviewer", "display_name": "南京市知识产权局 王审核", "email": "wang@nj.example.cn",
        "role": "city", "province": nanjing.province_id, "city": nanjing.pk, **extra})


def approve_last_request(secadmin):
    request = AccountRequest.objects.latest("pk")
    return administration.account_request_approve(actor=secadmin, request_id=request.pk, site_url=settings.SITE_URL + "/")


def test_the_system_administrator_creates_an_official_who_sets_the_password_from_the_link(as_sysadmin, secadmin):
    response = new_city_official(as_sysadmin)
    assert response.status_code == 302
    assert not User.objects.filter(username="nj-reviewer").exists() and not mail_beyond_administrators()  # until approved
    approve_last_request(secadmin)
    user = User.objects.get(username="nj-reviewer")
    assert (user.role, user.city.code, user.province, user.has_usable_password()) == ("city", "320100", None, False)
    assert last_event("account_create").to_state == f"city:{user.city_id}"
    (message,) = mail_beyond_administrators()
    assert message.to == ["wang@nj.example.cn"] and "nj-reviewer" in message.body
    # The link starts with the one SITE_URL, never with the Host header of the administrator's request.
    link = re.search(r"http://127\.0\.0\.1:8000(/accounts/reset/\S+)", message.body).group(1)
    # The new official, not the administrator, sets the password.
    official = Client()
    form = official.get(link, follow=True)
    assert form.status_code == 200 and "new_password1" in form.content.decode()
    done = official.post(form.redirect_chain[-1][0], {"new_password1": "Qx7!harbour-Lamp", "new_password2": "Qx7!harbour-Lamp"})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Qx7!harbour-Lamp") and user.password_changed_at is not None


@pytest.mark.parametrize("change, field, message", [
    ({"city": ""}, "city", "一个城市"),
    ({"role": "province", "province": ""}, "province", "一个省份"),
    ({"role": "ministry"}, "ministry", "一个部委"),
    ({"email": "not-an-address"}, "email", "有效的 Email 地址"),
])
def test_a_missing_scope_or_bad_field_is_named_and_nothing_typed_is_lost(as_sysadmin, change, field, message):
    response = new_city_official(as_sysadmin, **change)
    assert response.status_code == 400
    page = response.content.decode()
    assert response.context["form"].errors[field] and message in page
    assert "南京市知识产权局 王审核" in page  # what was typed is still there
    assert not User.objects.filter(username="nj-reviewer").exists() and not mail_beyond_administrators()


def test_a_taken_user_name_is_refused_whatever_its_case(as_sysadmin):
    make_user("NJ-Reviewer", Role.NATIONAL)
    response = new_city_official(as_sysadmin)
    assert response.status_code == 400 and "已被使用" in response.content.decode()


def test_a_role_change_is_audited_from_and_to(as_sysadmin, secadmin):
    official = make_user("js-official", Role.PROVINCE, province=Province.objects.get(code="320000"))
    suzhou = City.objects.get(code="320500")
    response = as_sysadmin.post(f"/admin/accounts/{official.pk}/", {
        "display_name": "苏州 审核", "email": "sz@example.cn", "role": "city", "province": suzhou.province_id,
        "city": suzhou.pk})
    assert response.status_code == 302
    approve_last_request(secadmin)
    official.refresh_from_db()
    assert (official.role, official.city_id, official.province_id) == ("city", suzhou.pk, None)
    event = last_event("role_change")
    assert (event.from_state, event.to_state, event.username) == (
        f"province:{Province.objects.get(code='320000').pk}", f"city:{suzhou.pk}", "sec")
    assert "requested_by: sys" in event.note


def test_administrators_accounts_and_applicants_are_not_edited_here(as_sysadmin, sysadmin, secadmin, applicant):
    for account in (sysadmin, secadmin, applicant):
        assert as_sysadmin.get(f"/admin/accounts/{account.pk}/").status_code == 404
    for account in (sysadmin, secadmin):
        assert as_sysadmin.post(f"/admin/accounts/{account.pk}/active/", {"active": "0"}).status_code == 404
        account.refresh_from_db()
        assert account.is_active
    # The page offers no button for them either.
    page = as_sysadmin.get("/admin/accounts/").content.decode()
    assert f"/admin/accounts/{secadmin.pk}/" not in page and f"/admin/accounts/{applicant.pk}/active/" in page


def signs_in(user):
    return Client().post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code == 302


def test_a_disabled_user_is_signed_out_at_once_and_can_sign_in_again_when_enabled(as_sysadmin, applicant):
    applicant_client = Client()
    applicant_client.force_login(applicant)
    assert applicant_client.get("/applications/").status_code == 200
    assert as_sysadmin.post(f"/admin/accounts/{applicant.pk}/active/", {"active": "0"}).status_code == 302
    assert applicant_client.get("/applications/").status_code == 302  # back to the login page
    assert not signs_in(applicant)
    assert last_event("account_disable").to_state == "disabled"
    as_sysadmin.post(f"/admin/accounts/{applicant.pk}/active/", {"active": "1"})
    assert signs_in(applicant)
    assert last_event("account_enable").to_state == "active"


def test_a_disabled_accounts_sessions_stay_ended_when_it_is_enabled_again(as_sysadmin, applicant):
    """Disabling ends the account's sessions for good: enabling it again does not bring them back (it signs in
    anew); its other users' sessions are untouched."""
    session, bystander = Client(), Client()
    session.force_login(applicant)
    bystander.force_login(make_user("other-applicant", Role.NATIONAL))
    assert session.get("/applications/").status_code == 200
    as_sysadmin.post(f"/admin/accounts/{applicant.pk}/active/", {"active": "0"})
    as_sysadmin.post(f"/admin/accounts/{applicant.pk}/active/", {"active": "1"})
    response = session.get("/applications/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert bystander.get("/review/").status_code in (200, 302) and "_auth_user_id" in bystander.session
    assert signs_in(applicant)


def test_the_account_list_filters_and_its_query_count_does_not_grow(as_sysadmin, django_assert_num_queries):
    for n in range(3):
        make_user(f"few-{n}", Role.NATIONAL)
    as_sysadmin.get("/admin/accounts/")  # the session, language and the like are warm
    with django_assert_num_queries(8) as few:
        as_sysadmin.get("/admin/accounts/")
    for n in range(60):
        make_user(f"many-{n}", Role.PROVINCE, province=Province.objects.get(code="320000"))
    with django_assert_num_queries(len(few.captured_queries)):
        as_sysadmin.get("/admin/accounts/")
    page = as_sysadmin.get("/admin/accounts/", {"q": "few-1", "role": "national"})
    assert [u.username for u in page.context["page"]] == ["few-1"]


def lock_out(username, ip="127.0.0.1"):
    client = Client(REMOTE_ADDR=ip)
    for _attempt in range(5):
        client.post("/accounts/login/", {"username": username, "password": "wrong-Password-1"})
    return client


def test_the_security_administrator_lifts_a_lockout(as_secadmin, applicant):
    lock_out(applicant.username)
    assert Client().post("/accounts/login/", {"username": applicant.username, "password": PASSWORD}).status_code == 429
    page = as_secadmin.get("/admin/security/")
    (attempt,) = page.context["locked"]
    assert attempt.username == applicant.username and applicant.username in page.content.decode()
    assert as_secadmin.post(f"/admin/security/lockouts/{attempt.pk}/reset/").status_code == 302
    assert not AccessAttempt.objects.exists()
    assert Client().post("/accounts/login/", {"username": applicant.username, "password": PASSWORD}).status_code == 302
    assert last_event("lockout_reset").note == f"{applicant.username} @ 127.0.0.1"


def test_a_lost_second_factor_is_reset_and_the_old_sessions_no_longer_count(as_secadmin, reviewers):
    official = reviewers["province_js"]
    official_client = Client()
    official_client.force_login(official)
    assert official_client.get("/review/").status_code == 200
    found = as_secadmin.get("/admin/security/", {"q": official.username}).context["found"]
    assert [(u.username, u.enrolled) for u in found] == [(official.username, True)]
    assert as_secadmin.post(f"/admin/security/users/{official.pk}/second-factor/reset/").status_code == 302
    assert not TOTPDevice.objects.filter(user=official).exists()
    assert official_client.get("/review/")["Location"].startswith("/accounts/second-factor/setup/")
    assert last_event("otp_reset").username == "sec"
    # Twice is refused with a message, not an error.
    again = as_secadmin.post(f"/admin/security/users/{official.pk}/second-factor/reset/", follow=True)
    assert "没有可重置" in again.content.decode()


def test_applicants_have_no_second_factor_to_reset(as_secadmin, applicant):
    response = as_secadmin.post(f"/admin/security/users/{applicant.pk}/second-factor/reset/", follow=True)
    assert response.status_code == 200 and not last_event("otp_reset")


def test_administrators_passwords_expire_like_officials(client, sysadmin):
    User.objects.filter(pk=sysadmin.pk).update(password_changed_at=timezone.now() - datetime.timedelta(days=91))
    client.force_login(sysadmin)
    assert client.get("/admin/accounts/")["Location"].startswith(reverse("password_change"))


def test_the_service_refuses_a_scope_of_the_wrong_kind(sysadmin):
    """The form checks it too; the service owns the rule, whoever calls it."""
    for scope in (None, Province.objects.get(code="320000")):
        with pytest.raises(PortalError, match="地市"):
            administration.account_request_create(actor=sysadmin, username="x-city", display_name="x",
                                                  email="x@example.cn", role=Role.CITY, scope=scope)
    assert not AccountRequest.objects.exists() and not User.objects.filter(username="x-city").exists()


@pytest.mark.parametrize("field, value", [("username", "x y"), ("display_name", "a\x00b"), ("email", "not-mail"),
                                          ("display_name", "长" * 61)])
def test_the_service_refuses_what_the_form_refuses(sysadmin, field, value):
    values = {"username": "x-ok", "display_name": "某局", "email": "x@example.cn", field: value}
    with pytest.raises(PortalError):
        administration.account_request_create(actor=sysadmin, role=Role.NATIONAL, scope=None, **values)
    assert not AccountRequest.objects.exists()


def test_create_account_makes_an_administrator_with_a_link_and_no_password(capsys):
    call_command("create_account", "sysadmin1", role="sysadmin", name="王管理", email="wang@example.cn",
                 site="https://navportal.example.cn")
    user = User.objects.get(username="sysadmin1")
    assert user.role == Role.SYSTEM_ADMIN and not user.has_usable_password()
    assert "https://navportal.example.cn/accounts/reset/" in capsys.readouterr().out
    assert last_event("account_create").username == "manage.py create_account"
    with pytest.raises(CommandError, match="SYSADMIN1"):
        call_command("create_account", "SYSADMIN1", role="auditadmin", name="x", email="x@example.cn", site="https://x")
    with pytest.raises(CommandError, match="scope"):
        call_command("create_account", "prov1", role="province", name="x", email="x@example.cn", site="https://x")


# --- Hostile input (issue 5, point 5): never a 500, always a message, nothing typed lost ------------------

@given(post=post_data(form_strategies(AccountForm()), baseline={
    "username": "hostile-new", "display_name": "某局 审核", "email": "h@example.cn", "role": "national"}),
    edit=st.booleans())
@hostile(40)
def test_the_account_form_survives_hostile_input(client, sysadmin, post, edit):
    official = User.objects.filter(username="hostile-official").first() or make_user(
        "hostile-official", Role.PROVINCE, province=Province.objects.get(code="320000"))
    client.force_login(sysadmin)
    url = f"/admin/accounts/{official.pk}/" if edit else "/admin/accounts/new/"
    with rolled_back(client):
        response = client.post(url, post)
        assert response.status_code in (302, 400, 409), response.status_code
        if response.status_code == 302:
            # An edit saves the name at once; a new account is a request until the security administrator
            # approves it.
            saved = (User.objects.get(pk=official.pk) if edit
                     else AccountRequest.objects.get(username=sent(post, "username").strip()))
            assert_stored_as_typed(saved, post, {"display_name": "display_name"})
            assert_fits_columns(saved)
            assert client.get(response["Location"]).status_code == 200
        else:
            form = AccountForm(account=official) if edit else AccountForm()
            assert_refusal_explained(response, post, typed_keys(form))


@given(post=post_data(form_strategies(RefuseForm()), baseline={"reason": "与本局电话核实，邮箱不属于本人。"}))
@hostile(30)
def test_the_refusal_form_survives_hostile_input(client, sysadmin, secadmin, post):
    request = AccountRequest.objects.filter(username="hostile-asked").first() or administration.account_request_create(
        actor=sysadmin, username="hostile-asked", display_name="某局 审核", email="h@example.cn", role=Role.NATIONAL,
        scope=None)
    client.force_login(secadmin)
    with rolled_back(client):
        response = client.post(f"/admin/security/requests/{request.pk}/refuse/", post)
        assert response.status_code in (302, 400, 409), response.status_code
        if response.status_code == 302:
            assert_stored_as_typed(request, post, {"reason": "reason"})
            assert request.state == "refused"
            assert_fits_columns(request)
            assert client.get(response["Location"]).status_code == 200
        else:
            assert_refusal_explained(response, post, typed_keys(RefuseForm()))
            assert AccountRequest.objects.get(pk=request.pk).state == "pending"


@given(q=hostile_text(), role=st.text(max_size=12), page=st.text(max_size=8))
@hostile(25)
def test_the_administrators_searches_survive_hostile_input(client, sysadmin, secadmin, q, role, page):
    client.force_login(sysadmin)
    response = client.get("/admin/accounts/", {"q": q, "role": role, "page": page})
    assert response.status_code == 200
    client.force_login(secadmin)
    assert client.get("/admin/security/", {"q": q}).status_code == 200


def test_sessions_signed_in_before_the_epoch_existed_stay_valid(applicant):
    """Epoch 0 gives Django's own session hash: deploying the epoch signs nobody out; a moved epoch changes it."""
    from django.contrib.auth.base_user import AbstractBaseUser
    assert applicant.get_session_auth_hash() == AbstractBaseUser.get_session_auth_hash(applicant)
    applicant.sessions_epoch = 1
    assert applicant.get_session_auth_hash() != AbstractBaseUser._get_session_auth_hash(applicant)
