import datetime

import pytest
from django.utils import timezone

from review import national
from tests.review.test_national import handed_in, pass_all, publish  # noqa: F401 - fixtures
from tests.review.test_public import cnipa, shift  # noqa: F401 - fixtures

DESIGNATION = "国知办发运字〔2026〕9号"


@pytest.fixture
def designated(cnipa, handed_in, call):
    """The four Jiangsu applications designated by a confirmed list: their bases, in the list's order."""
    pass_all(cnipa, handed_in)
    notice = shift(publish(cnipa, call), -10, -3)
    national.final_confirm(actor=cnipa, notice_id=notice.pk, document_number=DESIGNATION,
                           document_date=timezone.localdate() - datetime.timedelta(days=1))
    from bases.models import Base

    return list(Base.objects.order_by("entry__number"))
