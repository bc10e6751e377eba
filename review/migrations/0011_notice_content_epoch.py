"""A notice's content epoch: a counter the database itself moves whenever the notice's row or any of its entries
changes — by the portal or by anyone else writing to the database — so that the public pages can keep the verdict of
the list's seal under it (navportal.seals.cached_verdicts) instead of verifying the seal on every request, and still
see a change made by SQL at once (docs/cryptography.md)."""

from django.db import migrations, models

from navportal.seals import epoch_trigger, per_database

# An entry added, changed or deleted moves its notice's counter (the notice's own trigger moves it on from there).
POSTGRES = """
CREATE OR REPLACE FUNCTION review_notice_epoch_entries() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE review_notice SET content_epoch = content_epoch + 1 WHERE id = OLD.notice_id;
    END IF;
    IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.notice_id <> OLD.notice_id) THEN
        UPDATE review_notice SET content_epoch = content_epoch + 1 WHERE id = NEW.notice_id;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER review_notice_epoch_entries AFTER INSERT OR UPDATE OR DELETE ON review_noticeentry
    FOR EACH ROW EXECUTE FUNCTION review_notice_epoch_entries();
"""
POSTGRES_DROP = """
DROP TRIGGER IF EXISTS review_notice_epoch_entries ON review_noticeentry;
DROP FUNCTION IF EXISTS review_notice_epoch_entries();
"""
SQLITE = [
    """CREATE TRIGGER review_notice_epoch_entries_insert AFTER INSERT ON review_noticeentry BEGIN
        UPDATE review_notice SET content_epoch = content_epoch + 1 WHERE id = NEW.notice_id; END""",
    """CREATE TRIGGER review_notice_epoch_entries_update AFTER UPDATE ON review_noticeentry BEGIN
        UPDATE review_notice SET content_epoch = content_epoch + 1 WHERE id IN (OLD.notice_id, NEW.notice_id); END""",
    """CREATE TRIGGER review_notice_epoch_entries_delete AFTER DELETE ON review_noticeentry BEGIN
        UPDATE review_notice SET content_epoch = content_epoch + 1 WHERE id = OLD.notice_id; END""",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS review_notice_epoch_entries_{op}" for op in ("insert", "update", "delete")]


class Migration(migrations.Migration):
    dependencies = [("review", "0010_list_seals")]
    operations = [
        migrations.AddField("notice", "content_epoch", models.BigIntegerField(default=0, editable=False)),
        epoch_trigger("review_notice"),
        migrations.RunPython(per_database(POSTGRES, SQLITE), per_database(POSTGRES_DROP, SQLITE_DROP)),
    ]
