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
POSTGRES_PROTECT_V2 = f"""
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

# 0016: the chain covers the address's digest, which a re-chain makes again under the new key; retention may remove
# an address (ip to NULL, nothing else) while `navportal.forget` is set (navportal.audit.audit_forget_addresses).
POSTGRES_PROTECT_V3 = f"""
CREATE OR REPLACE FUNCTION navportal_audit_protect() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF coalesce(current_setting('navportal.rechain', true), '') = 'on'
           AND to_jsonb(NEW) - 'prev_hash' - 'hash' - 'key_id' - 'ip_digest'
               = to_jsonb(OLD) - 'prev_hash' - 'hash' - 'key_id' - 'ip_digest' THEN
            RETURN NEW;
        END IF;
        IF coalesce(current_setting('navportal.forget', true), '') = 'on'
           AND NEW.ip IS NULL AND to_jsonb(NEW) - 'ip' = to_jsonb(OLD) - 'ip' THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit events are append-only';
    END IF;{_DELETE}END;
$$ LANGUAGE plpgsql;
"""
