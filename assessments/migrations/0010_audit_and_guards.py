from django.db import migrations

# A rubric version that a check-up uses is frozen: its rubrics and items are never inserted,
# updated (moved in or out included) or deleted. The models refuse it in save()/delete(); these
# triggers refuse the writes that skip them (QuerySet.update/delete, bulk_create, raw SQL).
# PostgreSQL only: an SQLite trigger naming another table makes SQLite refuse the table rebuilds
# Django's later migrations do ("no such table" mid-rebuild), and SQLite serves development only.
POSTGRES_CREATE = """
CREATE OR REPLACE FUNCTION ph_rubricitem_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE rubric_ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN rubric_ids := ARRAY[NEW.rubric_id];
    ELSIF TG_OP = 'UPDATE' THEN rubric_ids := ARRAY[NEW.rubric_id, OLD.rubric_id];
    ELSE rubric_ids := ARRAY[OLD.rubric_id];
    END IF;
    IF EXISTS (
        SELECT 1 FROM assessments_rubric r JOIN assessments_assessment a ON a.rubric_version_id = r.version_id
        WHERE r.id = ANY(rubric_ids)
    ) THEN
        RAISE EXCEPTION 'rubric version is frozen: check-ups use it, so its rubrics and items cannot change' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER ph_rubricitem_frozen BEFORE INSERT OR UPDATE OR DELETE ON assessments_rubricitem
    FOR EACH ROW EXECUTE FUNCTION ph_rubricitem_frozen();

CREATE OR REPLACE FUNCTION ph_rubric_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE version_ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN version_ids := ARRAY[NEW.version_id];
    ELSIF TG_OP = 'UPDATE' THEN version_ids := ARRAY[NEW.version_id, OLD.version_id];
    ELSE version_ids := ARRAY[OLD.version_id];
    END IF;
    IF EXISTS (SELECT 1 FROM assessments_assessment a WHERE a.rubric_version_id = ANY(version_ids)) THEN
        RAISE EXCEPTION 'rubric version is frozen: check-ups use it, so its rubrics and items cannot change' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER ph_rubric_frozen BEFORE INSERT OR UPDATE OR DELETE ON assessments_rubric
    FOR EACH ROW EXECUTE FUNCTION ph_rubric_frozen();
"""

POSTGRES_DROP = """
DROP TRIGGER IF EXISTS ph_rubricitem_frozen ON assessments_rubricitem;
DROP FUNCTION IF EXISTS ph_rubricitem_frozen();
DROP TRIGGER IF EXISTS ph_rubric_frozen ON assessments_rubric;
DROP FUNCTION IF EXISTS ph_rubric_frozen();
"""


def create_frozen_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_CREATE)


def drop_frozen_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0006_vocabulary_alert_evidence"),
    ]

    operations = [
        migrations.RunPython(create_frozen_triggers, drop_frozen_triggers),
    ]
