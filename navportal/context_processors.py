from .models import Message


def portal(request):
    """The unread-message count for the header; one query, and none for anonymous visitors."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_messages": Message.objects.filter(recipient=user, read_at__isnull=True).count()}
