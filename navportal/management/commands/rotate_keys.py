from django.core.management.base import BaseCommand, CommandError

from navportal.audit import audit_rechain, audit_verify
from navportal.keys import keyring


class Command(BaseCommand):
    help = ("Bring everything under the current (first) key of the key ring while the portal runs: re-chain the "
            "audit trail (checking every row under its old key first). The old keys must stay in the ring until "
            "this has finished; the run is recorded in the audit trail. Running it again is harmless.")

    def handle(self, *args, **options):
        ring = keyring()
        checked, broken = audit_verify()
        if broken is not None:
            raise CommandError(f"The audit trail does not hold (verify_audit: {broken!r} after {checked} rows): "
                               "nothing was rotated. Investigate before rotating keys.")
        summary = [f"current key {ring.current_id}"]
        record = {"username": "manage.py rotate_keys", "action": "key_rotation", "note": "; ".join(summary)}
        count, broken = audit_rechain(record=record)
        if broken is not None:
            raise CommandError(f"The audit trail changed while it was re-chained: row {broken} does not hold under "
                               f"its key. {count} rows before it are under {ring.current_id}; verify_audit names it.")
        self.stdout.write(f"Keys rotated to {ring.current_id}: {count} audit rows re-chained. The other keys "
                          f"({', '.join(k for k in ring.keys if k != ring.current_id) or 'none'}) can now be removed.")
