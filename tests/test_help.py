"""The help page (issue 13): the open call's notice and dates, who may apply, the steps, and whom to ask —
CNIPA and every provincial bureau, each keeping its own contact; linked from the home page, the footer and the
lockout page."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from navportal.errors import PortalError
from navportal.models import AuditEvent, Province
from portal.models import BureauContact
from portal.services import contact_save
from review.models import Call


@pytest.fixture
def open_call(db):
    now = timezone.now()
    return Call.objects.create(title="帮助页批次", document_number="国知办发运字〔2026〕1号",
                               notice_text="各省、自治区、直辖市知识产权局：现将有关事项通知如下。",
                               opens_at=now - datetime.timedelta(days=3), deadline=now + datetime.timedelta(days=30))


def test_the_help_page_gives_the_call_the_conditions_the_steps_and_the_contacts(open_call, reviewers):
    contact_save(actor=reviewers["national"], province=None,
                 values={"office": "运用促进司", "phone": "010-62083114", "email": "yc@cnipa.example.cn"})
    contact_save(actor=reviewers["province_js"], province=Province.objects.get(code="320000"),
                 values={"office": "江苏省局运用促进处", "phone": "025-83273717"})
    page = Client().get(reverse("help")).content.decode()
    assert "帮助页批次" in page and "国知办发运字〔2026〕1号" in page and "现将有关事项通知如下" in page
    assert timezone.localtime(open_call.deadline).strftime("%Y-%m-%d %H:%M") in page
    assert "申报条件" in page and "不少于5人" in page and "申报程序" in page
    assert "运用促进司" in page and "010-62083114" in page
    assert "江苏省局运用促进处" in page and "025-83273717" in page
    assert page.count('<li class="py-1 border-top">') == Province.objects.count()  # every province, a contact or a dash


def test_the_help_page_costs_three_queries(open_call, django_assert_num_queries):
    client = Client()
    client.get(reverse("help"))
    with django_assert_num_queries(3):
        client.get(reverse("help"))


def test_a_province_keeps_its_own_contact_and_cnipa_any(reviewers, client):
    js, zj, cnipa = reviewers["province_js"], reviewers["province_zj"], reviewers["national"]
    jiangsu = Province.objects.get(code="320000")
    with pytest.raises(PortalError):
        contact_save(actor=zj, province=jiangsu, values={"office": "冒名", "phone": "1"})
    with pytest.raises(PortalError):
        contact_save(actor=js, province=None, values={"office": "冒名", "phone": "1"})
    assert not BureauContact.objects.exists()
    # Through the page: Zhejiang's reviewer writes Zhejiang's, whatever it posts.
    client.force_login(zj)
    response = client.post(reverse("contact_edit"), {"office": "浙江省局运用促进处", "phone": "0571-87054000"})
    assert response.status_code == 302
    assert list(BureauContact.objects.values_list("province__code", "office")) == [("330000", "浙江省局运用促进处")]
    # CNIPA corrects Jiangsu's, and keeps its own; both are in the audit trail.
    client.force_login(cnipa)
    assert client.post(reverse("contact_edit") + "?unit=320000",
                       {"office": "江苏省局运用促进处", "phone": "025-83273717"}).status_code == 302
    assert client.post(reverse("contact_edit"), {"office": "运用促进司", "phone": "010-62083114"}).status_code == 302
    assert BureauContact.objects.get(national=True).office == "运用促进司"
    assert BureauContact.objects.get(province=jiangsu).updated_by == cnipa
    assert AuditEvent.objects.filter(action="contact_save").count() == 3
    assert client.get(reverse("contact_edit") + "?unit=999999").status_code == 404


def test_a_contact_needs_an_office_and_a_telephone(reviewers, client):
    client.force_login(reviewers["province_js"])
    response = client.post(reverse("contact_edit"), {"office": "", "phone": "", "email": "不是邮箱"})
    assert response.status_code == 400
    assert not BureauContact.objects.exists()
    with pytest.raises(PortalError) as refusal:
        contact_save(actor=reviewers["province_js"], province=Province.objects.get(code="320000"),
                     values={"office": "处", "phone": ""})
    assert refusal.value.code == "invalid"


def test_the_home_page_the_footer_and_the_lockout_page_lead_to_it(open_call, client):
    help_url = reverse("help")
    home = client.get(reverse("home")).content.decode()
    assert f'href="{help_url}"' in home  # beside the call
    assert f'href="{help_url}#contacts"' in home  # the footer, on every page
    from django.test import RequestFactory

    from navportal.security import axes_lockout_response
    request = RequestFactory().get("/accounts/login/")
    request.user = type("Anonymous", (), {"is_authenticated": False})()
    locked = axes_lockout_response(request).content.decode()
    assert f"{help_url}#contacts" in locked
