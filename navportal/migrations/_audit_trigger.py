"""The PostgreSQL function that keeps the audit trail append-only (first made in 0004, kept here for migrations)."""

RETENTION_DAYS = 180

_DELETE = f"""
    IF OLD.at > now() - interval '{RETENTION_DAYS} days' THEN
        RAISE EXCEPTION 'audit events younger than {RETENTION_DAYS} days cannot be deleted';
    END IF;
    RETURN OLD;
"""

# 0004: no update at all.
POSTGRES_PROTECT_V1 = f"""
CREATE OR REPLACE FUNCTION navportal_audit_protect() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'audit events are append-only';
    END IF;{_DELETE}END;
$$ LANGUAGE plpgsql;
"""

# 0012: a re-chain under a new key may change the chain's own columns, nothing else.
POSTGRES_PROTECT = f"""
CREATE OR REPLACE FUNCTION navportal_audit_protect() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF coalesce(current_setting('navportal.rechain', true), '') = 'on'
           AND to_jsonb(NEW) - 'prev_hash' - 'hash' - 'key_id' = to_jsonb(OLD) - 'prev_hash' - 'hash' - 'key_id' THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit events are append-only';
    END IF;{_DELETE}END;
$$ LANGUAGE plpgsql;
"""
