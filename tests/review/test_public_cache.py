"""The cached public pages change as soon as what they show changes: the cache key is read from the database."""

from django.urls import reverse

from review import national
from review.calls import CALL_FIELDS, call_save
from review.models import NoticeEntry
from tests.conftest import object_confirmed
from tests.review.test_national import handed_in, pass_all, person, publish  # noqa: F401 - fixtures
from tests.review.test_public import OBJECTOR, cnipa, open_notice, public, shift  # noqa: F401 - fixtures


def test_an_upheld_objection_and_a_renamed_call_show_at_once(public, cnipa, open_notice, call):
    _notice, entries = open_notice
    url = reverse("notice_detail", args=[call.pk])
    assert entries[0].name in public.get(url).content.decode()
    assert entries[0].name in public.get(url).content.decode()  # from the cache now
    objection = object_confirmed(**person(entries[0], **OBJECTOR, signature=OBJECTOR["name"]))
    national.objection_decide(actor=cnipa, objection_id=objection.pk, decision="upheld", note="不实")
    page = public.get(url).content.decode()
    assert entries[0].name not in page and entries[1].name in page
    call_save(actor=cnipa, call_id=call.pk, values={**{f: getattr(call, f) for f in CALL_FIELDS},
                                                    "title": "更名后的批次"})
    assert "更名后的批次" in public.get(url).content.decode()


def test_the_cache_follows_the_version_counters_only(public, cnipa, open_notice, call):
    """A write that bypasses the writers (and so their version counters) is not seen: the key holds nothing but
    the versions, the clock's phase and the language — no hand-listed field."""
    _notice, entries = open_notice
    url = reverse("notice_detail", args=[call.pk])
    assert entries[0].name in public.get(url).content.decode()
    NoticeEntry.objects.filter(pk=entries[0].pk).update(name="绕过写入者的改名")
    assert "绕过写入者的改名" not in public.get(url).content.decode()


def test_the_period_closing_removes_the_objection_links(public, open_notice, call):
    notice, entries = open_notice
    url = reverse("notice_detail", args=[call.pk])
    link = reverse("objection_create", args=[call.pk, entries[0].pk])
    assert link in public.get(url).content.decode()
    shift(notice, -10, -3)
    assert link not in public.get(url).content.decode()


def test_the_final_list_shows_a_confirmed_list_at_once(public, cnipa, open_notice, call):
    notice, entries = open_notice
    url = reverse("bases")
    assert entries[0].name not in public.get(url).content.decode()
    shift(notice, -10, -3)
    national.final_confirm(actor=cnipa, notice_id=notice.pk, document_number="国知办函〔2026〕1号",
                           document_date=notice.ends_on)
    page = public.get(url).content.decode()
    assert all(entry.name in page for entry in entries)
    assert NoticeEntry.objects.filter(notice=notice).count() == len(entries)
