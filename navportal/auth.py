"""Django's ModelBackend, signing in by user name or e-mail address, with the user's scope read in the same query as
the user, and no permission rows."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from .compiled import CompiledQuery


class ScopedModelBackend(ModelBackend):
    """Every page names the signed-in user's unit in its header (User.scope_label): the province, city, ministry
    or organisation is joined to the user's own query instead of being read by a second one on every request,
    and so are the count of unread messages the header shows (`user.unread_messages`, read by
    navportal.context_processors.portal) and the id of the confirmed TOTP device (`user.confirmed_totp_id`, read by
    navportal.second_factor.OTPMiddleware). (Sessions signed in before this backend replaced django.contrib.auth.backends.ModelBackend sign in again.)"""

    def authenticate(self, request, username=None, password=None, **kwargs):
        """ModelBackend's, with `username` either a user name or an e-mail address (navportal.identifiers.account_for:
        through the address's blind index, whatever its case). An identifier that names no account costs one
        password hash all the same, as in ModelBackend, so that the answer's time does not tell which exist."""
        from .identifiers import account_for

        User = get_user_model()
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        user = account_for(username)
        if user is None:
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    # Read on every request: compiled once per process (navportal.compiled), run with the session's user id.
    signed_in_user = CompiledQuery(lambda user_id: get_user_model()._default_manager.select_related(
        "province", "city", "ministry", "organisation").annotate(
        unread_messages=unread_messages(), confirmed_totp_id=confirmed_totp_id()).filter(pk=user_id), "signed_in_user")

    def get_user(self, user_id):
        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            return None
        user = self.signed_in_user.get(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    # No permission rows: every power comes from the role, through the rules of navportal/rules.py and the apps'
    # rules.py (the database refuses superusers and staff flags too). Django's backend would read the user's and
    # the groups' permission rows whenever a permission is asked that the rules refuse — two queries on every
    # page whose menu ({% has_perm %} in base.html) asks for a page the user may not open.
    def get_user_permissions(self, user_obj, obj=None):
        return set()

    def get_group_permissions(self, user_obj, obj=None):
        return set()


def unread_messages():
    """The number of the user's unread messages, as a subquery of the user's own row."""
    from .models import Message
    unread = (Message.objects.filter(recipient=OuterRef("pk"), read_at__isnull=True).order_by()
              .values("recipient").annotate(n=Count("pk")).values("n"))
    return Coalesce(Subquery(unread, output_field=IntegerField()), 0)


def confirmed_totp_id():
    """The id of the user's first confirmed TOTP device, as a subquery of the user's own row: the second-factor
    middleware (navportal.second_factor.OTPMiddleware) compares it with the session's device instead of reading
    the device on every request."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return Subquery(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True).order_by("pk").values("pk")[:1])
