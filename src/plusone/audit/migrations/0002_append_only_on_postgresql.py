"""Make the audit tables append-only for the app's role on PostgreSQL.

Two layers, both PostgreSQL only (SQLite has no roles; there the file's owner
is the app):

1. Privileges: UPDATE and DELETE on audit_auditevent, and DELETE on
   audit_chainhead (whose row record() must update), are revoked from the
   migrating role and from PUBLIC.
2. Triggers: UPDATE or DELETE of an event, DELETE of a head, and TRUNCATE of
   either table raise an error unless the transaction has set
   ``plusone.audit_purge = 'on'`` (SET LOCAL), which only test and restore
   code do (plusone.audit.purge). Triggers hold even for a role that
   re-grants itself the privileges; only the table's owner can drop them,
   which is why production runs the app as a role that owns nothing
   (docs/security.md).
"""

from django.db import migrations

GUARD = """
CREATE OR REPLACE FUNCTION plusone_audit_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('plusone.audit_purge', true), '') = 'on' THEN
        IF TG_LEVEL = 'ROW' AND TG_OP = 'DELETE' THEN
            RETURN OLD;
        ELSIF TG_LEVEL = 'ROW' THEN
            RETURN NEW;
        END IF;
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit rows are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION plusone_audit_guard();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION plusone_audit_guard();
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_chainhead
    FOR EACH ROW EXECUTE FUNCTION plusone_audit_guard();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_chainhead
    FOR EACH STATEMENT EXECUTE FUNCTION plusone_audit_guard();
REVOKE UPDATE, DELETE ON audit_auditevent FROM PUBLIC, CURRENT_USER;
REVOKE DELETE ON audit_chainhead FROM PUBLIC, CURRENT_USER;
"""

UNGUARD = """
GRANT UPDATE, DELETE ON audit_auditevent TO CURRENT_USER;
GRANT DELETE ON audit_chainhead TO CURRENT_USER;
DROP TRIGGER IF EXISTS audit_event_no_change ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;
DROP TRIGGER IF EXISTS audit_head_no_delete ON audit_chainhead;
DROP TRIGGER IF EXISTS audit_head_no_truncate ON audit_chainhead;
DROP FUNCTION IF EXISTS plusone_audit_guard();
"""


def guard(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD, params=None)


def unguard(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(guard, unguard, elidable=False)]
