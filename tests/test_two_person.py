"""Two people for powers (issue 15, point 4; SPEC §10): a new official's account and a change of an official's
role, scope or e-mail address take effect only when the security administrator — another person than the system
administrator who asked — approves them. Each rule here fails without its code: the request applies nothing,
the approval applies and audits both people and both values, a refusal and a withdrawal apply nothing, the
requester cannot approve, a stale request is refused, the old address is told."""

import re

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from navportal import administration
from navportal.audit_labels import note_text
from navportal.errors import PortalError
from navportal.models import AccountRequest, AuditEvent, City, Province, Role, User
from tests.conftest import make_user
from tests.mail_helpers import deliver_mail, mail_beyond_administrators

pytestmark = pytest.mark.django_db
SITE = "http://testserver/"


@pytest.fixture
def sysadmin():
    return make_user("sys", Role.SYSTEM_ADMIN)


@pytest.fixture
def secadmin():
    return make_user("sec", Role.SECURITY_ADMIN)


@pytest.fixture
def official():
    return make_user("js-official", Role.PROVINCE, province=Province.objects.get(code="320000"))


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def ask_for_city_reviewer(sysadmin, username="nj-reviewer"):
    nanjing = City.objects.get(code="320100")
    return administration.account_request_create(
        actor=sysadmin, username=username, display_name="南京市知识产权局 王审核", email="wang@nj.example.cn",
        role=Role.CITY, scope=nanjing)


def ask_to_change(sysadmin, official, **change):
    values = {"display_name": official.display_name, "email": official.email, "role": official.role,
              "scope": official.city or official.province or official.ministry, **change}
    return administration.account_update(actor=sysadmin, user_id=official.pk, **values)


# --- A new account --------------------------------------------------------------------------------------

def test_a_requested_account_does_not_exist_and_no_mail_goes_out_until_approved(sysadmin, secadmin):
    request = ask_for_city_reviewer(sysadmin)
    assert (request.state, request.target) == ("pending", None)
    assert not User.objects.filter(username="nj-reviewer").exists()
    assert mail_beyond_administrators() == []
    (asked,) = events("account_request")
    assert (asked.username, asked.to_state, asked.object_type) == ("sys", f"city:{request.city_id}",
                                                                   "navportal.accountrequest")

    administration.account_request_approve(actor=secadmin, request_id=request.pk, site_url=SITE)
    user = User.objects.get(username="nj-reviewer")
    assert (user.role, user.city.code, user.email, user.has_usable_password()) == (
        "city", "320100", "wang@nj.example.cn", False)
    request.refresh_from_db()
    assert (request.state, request.target, request.decided_by) == ("approved", user, secadmin)
    # The welcome mail, with the link to set the password, goes out with the approval.
    (welcome,) = mail_beyond_administrators()
    assert welcome.to == ["wang@nj.example.cn"] and re.search(r"http://testserver/accounts/reset/\S+", welcome.body)
    # Both people, and the values, in the trail: the approver made the account, the requester is named.
    (created,) = events("account_create")
    assert (created.username, created.object_id, created.to_state) == ("sec", str(user.pk), f"city:{user.city_id}")
    assert "requested_by: sys" in created.note and "wang@nj.example.cn" in created.note
    (approved,) = events("account_approve")
    assert (approved.username, approved.from_state, approved.to_state) == ("sec", "pending", "approved")
    assert "requested_by: sys" in approved.note


def test_a_pending_user_name_is_reserved_whatever_its_case(sysadmin):
    ask_for_city_reviewer(sysadmin)
    with pytest.raises(PortalError, match="nj-REVIEWER") as refused:
        ask_for_city_reviewer(sysadmin, username="nj-REVIEWER")
    assert refused.value.code == "taken"
    # The form says so too, before the service.
    response = signed_in(sysadmin).post("/admin/accounts/new/", {
        "username": "NJ-reviewer", "display_name": "x", "email": "x@example.cn", "role": "national"})
    assert response.status_code == 400 and "已被使用" in response.content.decode()
    assert AccountRequest.objects.count() == 1


def test_the_database_keeps_one_pending_request_per_user_name_and_per_account(sysadmin, official):
    """The last guard, when two requests pass the checks at once (tests/test_concurrency.py races them)."""
    first = ask_for_city_reviewer(sysadmin)
    second = AccountRequest(kind="create", username="NJ-Reviewer", display_name="x", email="x@example.cn",
                            role=Role.NATIONAL, requested_by=sysadmin, requested_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()
    _user, change = ask_to_change(sysadmin, official, email="new@example.cn")
    again = AccountRequest(kind="change", target=official, username=official.username, display_name="x",
                           email="x@example.cn", role=Role.NATIONAL, requested_by=sysadmin,
                           requested_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        again.save()
    # A decided request frees the name.
    administration.account_request_withdraw(actor=sysadmin, request_id=first.pk)
    assert ask_for_city_reviewer(sysadmin).state == "pending"
    assert change.state == "pending"


def test_the_database_refuses_a_request_decided_by_its_requester(sysadmin):
    request = ask_for_city_reviewer(sysadmin)
    AccountRequest.objects.filter(pk=request.pk).update(state="refused", reason="x", decided_at=timezone.now(),
                                                          decided_by=make_user("sec2", Role.SECURITY_ADMIN))
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountRequest.objects.filter(pk=request.pk).update(decided_by=sysadmin)


# --- A change of role, scope or e-mail --------------------------------------------------------------------

def test_a_change_of_role_and_e_mail_is_applied_only_on_approval_and_audited_with_both_values(
        sysadmin, secadmin, official):
    jiangsu = Province.objects.get(code="320000")
    suzhou = City.objects.get(code="320500")
    user, request = ask_to_change(sysadmin, official, role=Role.CITY, scope=suzhou, email="new@sz.example.cn")
    official.refresh_from_db()
    assert (official.role, official.province_id, official.email) == ("province", jiangsu.pk, "js-official@example.cn")
    assert mail_beyond_administrators() == []
    (asked,) = events("account_request")
    assert (asked.from_state, asked.to_state) == (f"province:{jiangsu.pk}", f"city:{suzhou.pk}")
    assert "email: js-official@example.cn → new@sz.example.cn" in asked.note

    administration.account_request_approve(actor=secadmin, request_id=request.pk, site_url=SITE)
    official.refresh_from_db()
    assert (official.role, official.city_id, official.province_id, official.email) == (
        "city", suzhou.pk, None, "new@sz.example.cn")
    (role_change,) = events("role_change")
    assert (role_change.username, role_change.from_state, role_change.to_state) == (
        "sec", f"province:{jiangsu.pk}", f"city:{suzhou.pk}")
    assert "requested_by: sys" in role_change.note
    (email_change,) = events("email_change")
    assert email_change.username == "sec"
    assert "email: js-official@example.cn → new@sz.example.cn" in email_change.note
    assert "requested_by: sys" in email_change.note
    # The audit pages put it in words.
    assert note_text(email_change.note, "email_change").startswith("js-official · ")
    assert "申请人" not in note_text(email_change.note, "email_change")


def test_the_old_address_is_told_of_an_e_mail_change_and_the_new_one_confirms(sysadmin, secadmin, official):
    _user, request = ask_to_change(sysadmin, official, email="li@other.example.cn")
    administration.account_request_approve(actor=secadmin, request_id=request.pk, site_url=SITE)
    by_address = {tuple(message.to): message for message in mail_beyond_administrators()}
    assert sorted(by_address) == [("js-official@example.cn",), ("li@other.example.cn",)]
    told = by_address[("js-official@example.cn",)]
    # The old address learns of the change, not where the account's mail goes now.
    assert "l***@other.example.cn" in told.body and "li@other.example.cn" not in told.body
    assert "js-official" in told.body and "电子邮箱" in told.subject
    confirmed = by_address[("li@other.example.cn",)]
    assert "js-official" in confirmed.body and "密码不变" in confirmed.body


def test_a_change_of_role_alone_tells_only_the_account_holder(sysadmin, secadmin, official):
    _user, request = ask_to_change(sysadmin, official, role=Role.NATIONAL, scope=None)
    administration.account_request_approve(actor=secadmin, request_id=request.pk, site_url=SITE)
    (message,) = mail_beyond_administrators()
    assert message.to == ["js-official@example.cn"] and "国家知识产权局" in message.body
    assert events("email_change") == []


def test_a_change_of_name_needs_no_approval(sysadmin, official):
    user, request = ask_to_change(sysadmin, official, display_name="江苏省局 李审核")
    assert request is None and AccountRequest.objects.count() == 0
    official.refresh_from_db()
    assert official.display_name == "江苏省局 李审核"
    (event,) = events("account_update")
    assert event.note == "js-official · name: js-official → 江苏省局 李审核"


def test_a_name_with_a_role_change_saves_the_name_and_asks_for_the_role(sysadmin, official):
    _user, request = ask_to_change(sysadmin, official, display_name="国家局 李", role=Role.NATIONAL, scope=None)
    official.refresh_from_db()
    assert (official.display_name, official.role) == ("国家局 李", "province")
    assert (request.display_name, request.role) == ("国家局 李", "national")


def test_an_account_with_a_pending_request_is_not_edited_again(sysadmin, official):
    ask_to_change(sysadmin, official, email="a@example.cn")
    with pytest.raises(PortalError) as refused:
        ask_to_change(sysadmin, official, display_name="又改")
    assert refused.value.code == "pending"
    official.refresh_from_db()
    assert official.display_name == "js-official"
    page = signed_in(sysadmin).get(f"/admin/accounts/{official.pk}/")
    assert "等待安全管理员" in page.content.decode()


# --- Refuse, withdraw, same person, stale ---------------------------------------------------------------

def test_a_refused_request_applies_nothing_and_keeps_its_reason(sysadmin, secadmin, official):
    _user, request = ask_to_change(sysadmin, official, email="evil@example.cn")
    with pytest.raises(PortalError, match="理由"):
        administration.account_request_refuse(actor=secadmin, request_id=request.pk, reason="  ")
    administration.account_request_refuse(actor=secadmin, request_id=request.pk, reason="与本局电话核实，邮箱不属于本人。")
    official.refresh_from_db()
    request.refresh_from_db()
    assert official.email == "js-official@example.cn" and mail_beyond_administrators() == []
    assert (request.state, request.decided_by, request.reason) == ("refused", secadmin, "与本局电话核实，邮箱不属于本人。")
    (refused,) = events("account_refuse")
    assert (refused.username, refused.from_state, refused.to_state) == ("sec", "pending", "refused")
    assert "requested_by: sys" in refused.note and "与本局电话核实" in refused.note
    # Decided once: a second decision is refused politely.
    with pytest.raises(PortalError, match="已处理") as again:
        administration.account_request_approve(actor=secadmin, request_id=request.pk, site_url=SITE)
    assert again.value.code == "decided"


def test_a_withdrawn_request_applies_nothing_and_frees_the_account(sysadmin, secadmin, official):
    _user, request = ask_to_change(sysadmin, official, role=Role.NATIONAL, scope=None)
    other = make_user("sys2", Role.SYSTEM_ADMIN)
    with pytest.raises(PortalError):
        administration.account_request_withdraw(actor=other, request_id=request.pk)  # only the requester's own
    administration.account_request_withdraw(actor=sysadmin, request_id=request.pk)
    request.refresh_from_db()
    official.refresh_from_db()
    assert (request.state, request.decided_by, official.role) == ("withdrawn", None, "province")
    assert events("account_withdraw")[0].username == "sys"
    with pytest.raises(PortalError, match="已处理"):
        administration.account_request_approve(actor=secadmin, request_id=request.pk, site_url=SITE)
    assert ask_to_change(sysadmin, official, display_name="可以再改")[1] is None


def test_the_requester_can_never_approve_even_holding_both_roles(sysadmin, official):
    """Roles are single in this schema; the rule is about people, so it is checked by identity: a requester who
    somehow became security administrator still cannot decide his own request."""
    _user, request = ask_to_change(sysadmin, official, email="mine@example.cn")
    User.objects.filter(pk=sysadmin.pk).update(role=Role.SECURITY_ADMIN)
    sysadmin.refresh_from_db()
    for decide in (lambda: administration.account_request_approve(actor=sysadmin, request_id=request.pk,
                                                                   site_url=SITE),
                   lambda: administration.account_request_refuse(actor=sysadmin, request_id=request.pk,
                                                                 reason="自己拒绝")):
        with pytest.raises(PortalError) as refused:
            decide()
        assert refused.value.code == "same_person"
    official.refresh_from_db()
    assert official.email == "js-official@example.cn" and mail_beyond_administrators() == []
    # The page offers him no decision either.
    page = signed_in(sysadmin).get("/admin/security/requests/").content.decode()
    assert f"/admin/security/requests/{request.pk}/approve/" not in page and "由他人决定" in page


def test_only_the_security_administrator_decides(sysadmin, official):
    _user, request = ask_to_change(sysadmin, official, email="x@example.cn")
    for actor in (make_user("sys2", Role.SYSTEM_ADMIN), make_user("aud", Role.AUDIT_ADMIN),
                  make_user("nat", Role.NATIONAL)):
        with pytest.raises(PortalError):
            administration.account_request_approve(actor=actor, request_id=request.pk, site_url=SITE)
    assert AccountRequest.objects.get(pk=request.pk).state == "pending"


@pytest.mark.parametrize("meanwhile", ["disable", "disable_and_enable", "rename", "email"])
def test_a_request_whose_account_changed_meanwhile_is_refused_as_stale(sysadmin, secadmin, official, meanwhile):
    _user, request = ask_to_change(sysadmin, official, role=Role.NATIONAL, scope=None)
    if meanwhile.startswith("disable"):
        administration.account_set_active(actor=sysadmin, user_id=official.pk, active=False)
        if meanwhile == "disable_and_enable":
            administration.account_set_active(actor=sysadmin, user_id=official.pk, active=True)
    else:
        # Edited by another way than the page (which refuses while a request is pending); an encrypted address is
        # written through the instance.
        changed = User.objects.get(pk=official.pk)
        field, value = {"rename": ("display_name", "别人"), "email": ("email", "other@example.cn")}[meanwhile]
        setattr(changed, field, value)
        changed.save(update_fields=[field])
    page = signed_in(secadmin).get("/admin/security/requests/")
    (shown,) = page.context["queue"]
    assert shown.stale and f"/admin/security/requests/{request.pk}/approve/" not in page.content.decode()
    with pytest.raises(PortalError, match="已过时") as refused:
        administration.account_request_approve(actor=secadmin, request_id=request.pk, site_url=SITE)
    assert refused.value.code == "stale"
    official.refresh_from_db()
    assert official.role == "province" and AccountRequest.objects.get(pk=request.pk).state == "pending"
    # It can still be refused.
    administration.account_request_refuse(actor=secadmin, request_id=request.pk, reason="账户已变更，请重新申请。")


def test_a_new_account_whose_name_was_taken_meanwhile_is_refused_as_stale(sysadmin, secadmin):
    request = ask_for_city_reviewer(sysadmin)
    make_user("NJ-reviewer", Role.NATIONAL)  # e.g. manage.py create_account, the bootstrap exception
    with pytest.raises(PortalError) as refused:
        administration.account_request_approve(actor=secadmin, request_id=request.pk, site_url=SITE)
    assert refused.value.code == "stale" and mail_beyond_administrators() == []
    assert User.objects.filter(username__iexact="nj-reviewer").count() == 1


# --- The pages --------------------------------------------------------------------------------------------

def test_the_whole_round_through_the_pages(sysadmin, secadmin):
    admin_client, security_client = signed_in(sysadmin), signed_in(secadmin)
    nanjing = City.objects.get(code="320100")
    response = admin_client.post("/admin/accounts/new/", {
        "username": "nj-reviewer", "display_name": "南京 王", "email": "wang@nj.example.cn", "role": "city",
        "province": nanjing.province_id, "city": nanjing.pk}, follow=True)
    assert response.redirect_chain[-1][0] == "/admin/accounts/requests/"
    page = response.content.decode()
    assert "等待安全管理员批准" in page and "nj-reviewer" in page and "撤回" in page
    assert not User.objects.filter(username="nj-reviewer").exists()
    assert "1 项系统管理员的申请等待您决定" in security_client.get("/admin/security/").content.decode()
    (request,) = security_client.get("/admin/security/requests/").context["queue"]
    response = security_client.post(f"/admin/security/requests/{request.pk}/approve/", follow=True)
    assert "已批准" in response.content.decode()
    assert User.objects.filter(username="nj-reviewer").exists() and len(mail_beyond_administrators()) == 1
    assert security_client.get("/admin/security/requests/").context["queue"] == []
    assert "已批准" in admin_client.get("/admin/accounts/requests/").content.decode()


def test_a_refusal_without_reason_keeps_the_page_and_a_refusal_with_one_is_shown(sysadmin, secadmin, official):
    _user, request = ask_to_change(sysadmin, official, email="x@example.cn")
    security_client = signed_in(secadmin)
    response = security_client.post(f"/admin/security/requests/{request.pk}/refuse/", {"reason": ""})
    assert response.status_code == 400 and "请填写此项" in response.content.decode()
    response = security_client.post(f"/admin/security/requests/{request.pk}/refuse/", {"reason": "未核实<b>本人</b>"})
    assert response.status_code == 302
    page = signed_in(sysadmin).get("/admin/accounts/requests/").content.decode()
    assert "未核实&lt;b&gt;本人&lt;/b&gt;" in page and "已拒绝" in page


def test_the_system_administrator_withdraws_on_his_page(sysadmin, official):
    _user, request = ask_to_change(sysadmin, official, email="x@example.cn")
    assert "待批准的变更" in signed_in(sysadmin).get("/admin/accounts/").content.decode()
    other = signed_in(make_user("sys2", Role.SYSTEM_ADMIN))
    assert other.post(f"/admin/accounts/requests/{request.pk}/withdraw/").status_code == 404
    response = signed_in(sysadmin).post(f"/admin/accounts/requests/{request.pk}/withdraw/", follow=True)
    assert "已撤回" in response.content.decode()
    assert AccountRequest.objects.get(pk=request.pk).state == "withdrawn"


def test_the_queue_and_the_requests_page_make_as_many_queries_for_three_as_for_one(
        sysadmin, secadmin, django_assert_num_queries):
    jiangsu = Province.objects.get(code="320000")
    officials = [make_user(f"p-{n}", Role.PROVINCE, province=jiangsu) for n in range(3)]
    admin_client, security_client = signed_in(sysadmin), signed_in(secadmin)
    ask_for_city_reviewer(sysadmin, "new-0")
    ask_to_change(sysadmin, officials[0], email="p0@new.example.cn")
    for client, url in ((security_client, "/admin/security/requests/"), (admin_client, "/admin/accounts/requests/")):
        client.get(url)  # the session, language and the like are warm
    with django_assert_num_queries(6) as queue:
        security_client.get("/admin/security/requests/")
    with django_assert_num_queries(6) as mine:
        admin_client.get("/admin/accounts/requests/")
    for n in (1, 2):
        ask_for_city_reviewer(sysadmin, f"new-{n}")
        ask_to_change(sysadmin, officials[n], role=Role.CITY, scope=City.objects.get(code="320500"))
    administration.account_request_withdraw(actor=sysadmin, request_id=AccountRequest.objects.first().pk)
    with django_assert_num_queries(len(queue.captured_queries)):
        assert len(security_client.get("/admin/security/requests/").context["queue"]) == 5
    with django_assert_num_queries(len(mine.captured_queries)):
        assert len(admin_client.get("/admin/accounts/requests/").context["requests"]) == 6


def test_each_administrator_is_told_what_awaits_them(sysadmin, secadmin):
    """A request tells the security administrators (in the portal and by mail); the decision tells the system
    administrator who asked, with the reason of a refusal."""
    from navportal.models import Message

    request = administration.account_request_create(
        actor=sysadmin, username="told-reviewer", display_name="南京 审核", email="told@nj.example.cn",
        role=Role.CITY, scope=City.objects.get(code="320100"))
    (asked,) = Message.objects.filter(recipient=secadmin)
    assert "told-reviewer" in asked.subject and asked.link == reverse("account_approvals")
    assert [secadmin.email] in [m.to for m in deliver_mail()]
    administration.account_request_refuse(actor=secadmin, request_id=request.pk, reason="未见书面申请")
    (told,) = Message.objects.filter(recipient=sysadmin)
    assert "told-reviewer" in told.subject and "未见书面申请" in told.body and told.link == reverse("account_requests")
