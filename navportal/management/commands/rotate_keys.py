from django.core.management.base import BaseCommand, CommandError

from navportal import fields, seals
from navportal.audit import audit_rechain, audit_verify
from navportal.keys import keyring


class Command(BaseCommand):
    help = ("Bring everything under the current (first) key of the key ring while the portal runs: re-encrypt the "
            "personal data and its blind indexes, re-seal the sealed versions and lists, then re-chain the audit trail, checking each seal and row under its old key first "
            "(a broken one is reported, never re-made). The old keys must stay in the ring until this has finished; "
            "the run is recorded in the audit trail. Running it again is harmless.")

    def handle(self, *args, **options):
        ring = keyring()
        checked, broken = audit_verify()
        if broken is not None:
            raise CommandError(f"The audit trail does not hold (verify_audit: {broken!r} after {checked} rows): "
                               "nothing was rotated. Investigate before rotating keys.")
        summary = [f"current key {ring.current_id}"]
        reencrypted = fields.reencrypt()
        summary.append("re-encrypted " + ", ".join(f"{label} {count}" for label, count in reencrypted.items()))
        resealed = seals.reseal()
        summary.append("re-sealed " + ", ".join(f"{label} {count}" for label, count in resealed.items()))
        for label, rows in resealed.broken.items():
            summary.append(f"NOT re-sealed, seal broken: {label} {', '.join(map(str, rows))}")
        record = {"username": "manage.py rotate_keys", "action": "key_rotation", "note": "; ".join(summary)}
        count, broken = audit_rechain(record=record)
        if broken is not None:
            raise CommandError(f"The audit trail changed while it was re-chained: row {broken} does not hold under "
                               f"its key. {count} rows before it are under {ring.current_id}; verify_audit names it.")
        self.stdout.write(f"Keys rotated to {ring.current_id}: {'; '.join(summary[1:])}; {count} audit rows "
                          "re-chained.")
        if resealed.broken:
            raise CommandError("Some seals do not verify under their keys and were left as they are (listed above, and "
                               "on their pages): investigate them before removing the old keys.")
        self.stdout.write(f"The other keys ({', '.join(k for k in ring.keys if k != ring.current_id) or 'none'}) can "
                          "now be removed.")
