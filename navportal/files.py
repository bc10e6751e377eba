"""Files and transactions: a file written by a transaction that fails is removed; a replaced file is
removed only after the replacing transaction commits (transaction.on_commit at the call site)."""

from contextlib import contextmanager

from django.db import transaction


@contextmanager
def file_writing_transaction():
    """The transaction of a service that writes files; `track(fieldfile)` each file written.

    It is durable: the outermost transaction, never nested in a caller's (Django raises RuntimeError if it
    is), so that leaving the block without an exception means the rows are committed. Had it been nested,
    an outer rollback after a clean exit would leave the files behind with no row pointing at them; if the
    block raises — the commit included — every file it wrote is deleted.
    """
    written = []
    try:
        with transaction.atomic(durable=True):
            yield lambda fieldfile: written.append((fieldfile.storage, fieldfile.name))
    except BaseException:
        for storage, name in written:
            storage.delete(name)
        raise


def private_download(fieldfile, filename, content_type="application/octet-stream"):
    """An uploaded file, sent only by a view that has checked who may see it: always as an attachment (so never
    kept by a cache: navportal.security.NoStoreMiddleware), and sandboxed in case a browser renders it anyway
    (X-Content-Type-Options: nosniff comes from SecurityMiddleware on every response)."""
    from django.http import FileResponse

    response = FileResponse(fieldfile.open("rb"), content_type=content_type, as_attachment=True, filename=filename)
    response["Content-Security-Policy"] = "sandbox"
    return response


def file_replace(fieldfile, upload, track):
    """Store `upload` in `fieldfile` (the row is saved by the caller) inside file_writing_transaction, `track`ed so
    that a failed transaction removes it; the file it replaces is removed once the transaction commits."""
    old = fieldfile.name
    fieldfile.save(upload.name, upload, save=False)
    track(fieldfile)
    if old:
        storage = fieldfile.storage
        transaction.on_commit(lambda: storage.delete(old))
