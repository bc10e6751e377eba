"""The bases after designation (issue 19.1, 19.5): the record the confirmed list makes, dynamic management through
one writer — rectification opened, answered and closed, the title revoked by document — and the public list."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from applications.enums import State
from bases import services
from bases.models import Base, BaseStatus, Rectification
from navportal.errors import PortalError
from navportal.models import AuditEvent, Message, Province
from tests.bases.conftest import DESIGNATION
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def later(days=30):
    return timezone.localdate() + datetime.timedelta(days=days)


def test_the_confirmed_list_makes_one_active_base_per_designated_application(designated, handed_in):
    assert len(designated) == 4
    for base in designated:
        application = base.application
        assert application.state == State.DESIGNATED
        assert (base.status, base.document_number, base.designated_on) == (
            BaseStatus.ACTIVE, DESIGNATION, timezone.localdate() - datetime.timedelta(days=1))
        assert (base.name, base.industry, base.organisation_id, base.province_id, base.ministry_id) == (
            base.entry.name, base.entry.industry, application.organisation_id, application.province_id, None)
    assert AuditEvent.objects.filter(action="base_designate").count() == 4


def test_a_rectification_is_opened_answered_and_closed_each_step_one_audited_transition(designated, cnipa):
    base = designated[0]
    member = base.organisation.members.get()
    rectification = services.rectification_open(actor=cnipa, base_id=base.pk, reason="finding",
                                                detail="未按建设方案开展需求对接。", deadline=later())
    base.refresh_from_db()
    assert base.status == BaseStatus.RECTIFYING and rectification.is_open
    assert Message.objects.filter(recipient=member, subject__contains=base.name).exists()
    with pytest.raises(PortalError) as exc:  # one at a time
        services.rectification_open(actor=cnipa, base_id=base.pk, reason="finding", detail="再次", deadline=later())
    assert exc.value.code == "state"

    services.rectification_answer(actor=member, base_id=base.pk, answer="已完成需求对接5项。")
    with pytest.raises(PortalError):  # once
        services.rectification_answer(actor=member, base_id=base.pk, answer="again")
    services.rectification_close(actor=cnipa, base_id=base.pk, note="整改到位。")
    base.refresh_from_db()
    rectification.refresh_from_db()
    assert base.status == BaseStatus.ACTIVE and base.lock_version == 4
    assert (rectification.outcome, rectification.answer, rectification.outcome_note) == ("closed", "已完成需求对接5项。",
                                                                                           "整改到位。")
    trail = list(AuditEvent.objects.filter(object_type="bases.base", object_id=str(base.pk)).order_by("id")
                 .values_list("action", "from_state", "to_state"))
    assert trail == [("base_designate", "", "active"), ("base_rectify", "active", "rectifying"),
                     ("base_rectification_answer", "open", "answered"), ("base_restore", "rectifying", "active")]


@pytest.mark.parametrize("who", ["province_js", "city_suzhou", "ministry_moe", "member", "other_member"])
def test_only_cnipa_manages_and_only_the_base_answers(designated, reviewers, cnipa, who):
    base, other = designated[0], designated[1]
    actor = {"member": base.organisation.members.first(),
             "other_member": other.organisation.members.first()}.get(who) or reviewers[who]
    for call in (lambda: services.rectification_open(actor=actor, base_id=base.pk, reason="finding", detail="x",
                                                     deadline=later()),
                 lambda: services.base_revoke(actor=actor, base_id=base.pk, document_number="x",
                                              document_date=timezone.localdate(), reason="x")):
        with pytest.raises(PortalError) as exc:
            call()
        assert exc.value.code in ("forbidden", "not_found")
    services.rectification_open(actor=cnipa, base_id=base.pk, reason="finding", detail="x", deadline=later())
    if who != "member":
        with pytest.raises(PortalError) as exc:
            services.rectification_answer(actor=actor, base_id=base.pk, answer="x")
        assert exc.value.code in ("forbidden", "not_found")
    assert Base.objects.get(pk=base.pk).status == BaseStatus.RECTIFYING


def test_revocation_needs_its_document_and_ends_an_open_rectification(designated, cnipa):
    base = designated[0]
    services.rectification_open(actor=cnipa, base_id=base.pk, reason="missed_report", detail="未报送年度报告。",
                                deadline=later())
    for number, date in (("", timezone.localdate()), ("国知办发〔2027〕1号", None),
                         ("国知办发〔2027〕1号", later(1)),  # not in the future
                         ("国知办发〔2027〕1号", base.designated_on - datetime.timedelta(days=1))):
        with pytest.raises(PortalError):
            services.base_revoke(actor=cnipa, base_id=base.pk, document_number=number, document_date=date,
                                 reason="逾期未整改")
    services.base_revoke(actor=cnipa, base_id=base.pk, document_number="国知办发〔2027〕1号",
                         document_date=timezone.localdate(), reason="逾期未整改")
    base.refresh_from_db()
    assert (base.status, base.revoked_document, base.revoked_on, base.revoked_reason) == (
        BaseStatus.REVOKED, "国知办发〔2027〕1号", timezone.localdate(), "逾期未整改")
    assert Rectification.objects.get(base=base).outcome == "revoked"
    with pytest.raises(PortalError) as exc:  # revoked is final
        services.rectification_open(actor=cnipa, base_id=base.pk, reason="finding", detail="x", deadline=later())
    assert exc.value.code == "state"


def test_the_database_keeps_revocation_and_its_document_together_and_one_open_rectification(designated, cnipa):
    base = designated[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        Base.objects.filter(pk=base.pk).update(status=BaseStatus.REVOKED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Base.objects.filter(pk=base.pk).update(revoked_document="x", revoked_on=timezone.localdate())
    with pytest.raises(IntegrityError), transaction.atomic():  # revoked without its reason
        Base.objects.filter(pk=base.pk).update(status=BaseStatus.REVOKED, revoked_document="x",
                                               revoked_on=timezone.localdate())
    services.rectification_open(actor=cnipa, base_id=base.pk, reason="finding", detail="x", deadline=later())
    with pytest.raises(IntegrityError), transaction.atomic():
        Rectification.objects.create(base=base, reason="finding", detail="y", deadline=later(), opened_by=cnipa,
                                     opened_at=timezone.now())


def test_the_public_list_shows_each_base_s_standing_and_the_revoking_document(client, designated, cnipa):
    active, rectifying, revoked = designated[:3]
    services.rectification_open(actor=cnipa, base_id=rectifying.pk, reason="unqualified", detail="考核不合格。",
                                deadline=later())
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    page = client.get(reverse("bases")).content.decode()  # cached now; the writer moves its key
    assert page.count("整改中") == 1 and "已撤销" not in page
    services.base_revoke(actor=cnipa, base_id=revoked.pk, document_number="国知办发〔2027〕2号",
                         document_date=timezone.localdate(), reason="严重违规")
    page = client.get(reverse("bases")).content.decode()
    assert page.count("在建") == 2 and page.count("整改中") == 1 and page.count("已撤销") == 1
    assert "国知办发〔2027〕2号" in page and f"<del>{revoked.name}</del>" in page
    assert "考核不合格" not in page and "严重违规" not in page  # reasons are the base's and CNIPA's, not the public's


def test_the_pages_answer_in_scope_only(client, designated, reviewers, cnipa):
    base = designated[0]
    client.force_login(reviewers["province_js"])
    assert client.get(reverse("base_list")).status_code == 200
    assert client.get(reverse("base_detail", args=[base.pk])).status_code == 200
    client.force_login(make_user("prov-zj-bases", "province", province=Province.objects.get(code="330000")))
    assert base.name not in client.get(reverse("base_list")).content.decode()
    assert client.get(reverse("base_detail", args=[base.pk])).status_code == 404
    client.force_login(base.organisation.members.get())
    assert base.name in client.get(reverse("own_base")).content.decode()
    assert client.get(reverse("base_detail", args=[base.pk])).status_code == 404


def test_cnipa_manages_from_the_base_s_page_and_a_bad_form_keeps_what_was_typed(client, designated, cnipa):
    base = designated[0]
    client.force_login(cnipa)
    response = client.post(reverse("base_rectify", args=[base.pk]), {
        "reason": "finding", "detail": "需求对接不足", "deadline": "", "version": base.lock_version})
    assert response.status_code == 400 and "需求对接不足" in response.content.decode()
    response = client.post(reverse("base_rectify", args=[base.pk]), {
        "reason": "finding", "detail": "需求对接不足", "deadline": later().isoformat(), "version": base.lock_version})
    assert response.status_code == 302 and Base.objects.get(pk=base.pk).status == BaseStatus.RECTIFYING
    # The same page opened before that change: refused, not applied twice.
    response = client.post(reverse("base_revoke", args=[base.pk]), {
        "document_number": "国知办发〔2027〕3号", "document_date": timezone.localdate().isoformat(), "reason": "x",
        "confirm": "on", "version": base.lock_version})
    assert response.status_code == 400 and Base.objects.get(pk=base.pk).status == BaseStatus.RECTIFYING

    client.force_login(base.organisation.members.get())
    response = client.post(reverse("rectification_answer", args=[base.pk]), {"answer": "已整改"})
    assert response.status_code == 302
    assert Rectification.objects.get(base=base).answer == "已整改"


def test_no_code_but_the_writer_writes_a_base_s_status():
    """bases.transitions is the one writer of a base's status and lock_version (through navportal.transitions):
    nothing else in the code assigns them or passes them to update()/create() (as for applications:
    tests/applications/test_workflow.py)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found = {}
    for path in sorted((root / "bases").rglob("*.py")):
        if "migrations" in path.parts or path.name == "transitions.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
                node, ast.AugAssign) else []
            hits = [t for t in targets if isinstance(t, ast.Attribute) and t.attr in ("status", "lock_version")]
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in (
                    "update", "create", "bulk_update", "get_or_create", "update_or_create"):
                hits += [k for k in node.keywords if k.arg in ("status", "lock_version")]
            if hits:
                found.setdefault(path.name, []).append(node.lineno)
    assert found == {}
