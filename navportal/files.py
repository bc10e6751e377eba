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
