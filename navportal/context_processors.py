from django.conf import settings

from .models import Message


def portal(request):
    """The unread-message count for the header: read with the user's own row when the session's user was
    loaded by navportal.auth.ScopedModelBackend (every request after signing in), else by one query; none for
    anonymous visitors."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        # The identity platform's button shows only when the platform is configured (portal/platform.py).
        return {"platform_sign_in": bool(getattr(settings, "OIDC_RP_CLIENT_ID", ""))}
    unread = getattr(user, "unread_messages", None)
    if unread is None:
        unread = Message.objects.filter(recipient=user, read_at__isnull=True).count()
    return {"unread_messages": unread}
