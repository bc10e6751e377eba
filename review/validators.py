"""What a call may hold (SPEC §2, §5): the call form's rules and call_save's, defined once here.

The form gives its fields these checks and shows each refusal at its field; call_save runs
`clean_call_values` inside its transaction, so no caller stores what the form refuses.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.forms import MultipleChoiceField
from django.utils.translation import gettext_lazy as _

from applications.enums import ExemptCategory
from navportal.bounds import datetime_bounds
from navportal.cleaning import clean_model_values, refusal
from navportal.errors import PortalError

from .models import Call

CALL_FIELDS = ("title", "document_number", "notice_text", "opens_at", "deadline", "quota", "ministry_quota",
               "notice_working_days", "exempt_categories")

# Fixed once any package of the call exists: the packages' quota slots were counted out from the quotas, and
# the exempt categories decide which of their recommendations count against them.
FIXED_ONCE_PACKAGES = ("quota", "ministry_quota", "exempt_categories")

MAX_NOTICE_WORKING_DAYS = 30

# An objector's telephone (SPEC §6.3: a valid phone): a mainland mobile number, or a landline with its area code
# (010-12345678, 0512-1234567, extension allowed). The objection form and objection_submit both hold to it.
PHONE_PATTERN = r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?)$"


def call_limits():
    """Field → the checks beyond the model field's own (a quota of at least one, a public notice of 1 to 30
    working days, plausible dates); built on each use, as the date bounds are aware datetimes."""
    return {
        "opens_at": datetime_bounds(),
        "deadline": datetime_bounds(),
        "quota": [MinValueValidator(1)],
        "ministry_quota": [MinValueValidator(1)],
        "notice_working_days": [MinValueValidator(1), MaxValueValidator(MAX_NOTICE_WORKING_DAYS)],
    }


def exempt_categories_value(value):
    """The exempt categories as stored: known ExemptCategory values only, each once, in the enum's order."""
    if isinstance(value, str) or not isinstance(value, (list, tuple, set, frozenset)):
        raise ValidationError(MultipleChoiceField.default_error_messages["invalid_list"], code="invalid_list")
    for item in value:
        if item not in ExemptCategory.values:
            raise ValidationError(MultipleChoiceField.default_error_messages["invalid_choice"],
                                  code="invalid_choice", params={"value": item})
    return [category for category in ExemptCategory.values if category in value]


def check_call_dates(opens_at, deadline):
    """Raise ValidationError {"deadline": …} unless the deadline comes after the opening (when both are known)."""
    if opens_at is not None and deadline is not None and deadline <= opens_at:
        raise ValidationError({"deadline": ValidationError(_("The deadline must come after the opening."),
                                                           code="deadline_order")})


def clean_call_values(values):
    """Every value of a call (CALL_FIELDS; a missing one counts as empty), cleaned as the call form cleans it:
    the model field's checks, the text rule, call_limits(), known exempt categories, the deadline after the
    opening. Returns the values to store; raises PortalError(code="invalid") naming the first refused one."""
    cleaned = clean_model_values(Call, {name: values.get(name) for name in CALL_FIELDS
                                        if name != "exempt_categories"}, call_limits())
    try:
        cleaned["exempt_categories"] = exempt_categories_value(values.get("exempt_categories"))
    except ValidationError as exc:
        raise refusal(Call._meta.get_field("exempt_categories").verbose_name, exc) from None
    try:
        check_call_dates(cleaned["opens_at"], cleaned["deadline"])
    except ValidationError as exc:
        raise PortalError(exc.messages[0], code="invalid") from None
    return cleaned
