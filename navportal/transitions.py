"""The write every transition ends with, whatever it changes: an application (applications.transitions) or a base
after designation (bases.transitions). Each of those checks its own transition table (role, scope, state, and for
an application its desk and deadline) and then calls `transition_write`, so that every step of every workflow is
written, versioned, audited and told the same way, in the transaction of the caller that locked the row."""

from .audit import audit_record
from .notify import notify_all


def transition_write(*, actor, obj, transition, target=None, changes=None, note="", tell=(), audit_states=None,
                     state_field="state", before_audit=None):
    """Carry out a checked `transition` (a row of a transition table: applications.workflow.Transition) on `obj`,
    row-locked by the caller: write `changes` and, for a transition that moves, `target` into `state_field`; bump
    `lock_version` (the version cached renderings and stale forms are checked by); call `before_audit` (the rows
    every writer takes before the audit chain's head, e.g. a call's progress counter); append the audit line
    (from → to, or `audit_states` for an in-place change); write the notifications (`tell`). Returns `obj`."""
    from_state = getattr(obj, state_field)
    fields = dict(changes or {})
    if transition.moves:
        fields[state_field] = target
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.lock_version += 1
    touched = ["updated_at"] if any(f.name == "updated_at" for f in obj._meta.concrete_fields) else []
    obj.save(update_fields=[*fields, "lock_version", *touched])
    if before_audit is not None:
        before_audit()
    if transition.audit:
        audit_from, audit_to = (from_state, target) if transition.moves else (audit_states or ("", ""))
        audit_record(actor=actor, action=transition.audit, obj=obj, from_state=audit_from, to_state=audit_to,
                     note=note)
    notify_all(tell, about=obj)
    return obj
