"""Files and transactions: a file written by a transaction that fails is removed; a replaced file is
removed only after the replacing transaction commits (transaction.on_commit at the call site)."""

from contextlib import contextmanager


@contextmanager
def removed_unless_committed():
    """Wrap a transaction that writes files: `track(fieldfile)` each one written; if the block raises —
    including a failed commit, when the atomic block is nested inside this one — they are deleted."""
    written = []
    try:
        yield lambda fieldfile: written.append((fieldfile.storage, fieldfile.name))
    except BaseException:
        for storage, name in written:
            storage.delete(name)
        raise


def private_download(fieldfile, filename, content_type="application/octet-stream"):
    """An uploaded file, sent only by a view that has checked who may see it: always as an attachment,
    never cached, and sandboxed in case a browser renders it anyway (X-Content-Type-Options: nosniff comes
    from SecurityMiddleware on every response)."""
    from django.http import FileResponse

    response = FileResponse(fieldfile.open("rb"), content_type=content_type, as_attachment=True, filename=filename)
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
