-- keywarden migration 3: tenant roles may read the store format marker.
--
-- keywarden 0.2 keeps an authenticated store format marker in `keywarden_meta` (`store.format`:
-- `0.1-pending` on a store of 0.1 until `km.upgrade()` ran, then `0.2`; an HMAC under a key only the
-- master key holder can derive). Migration 2 let tenant roles (`anon`, `authenticated`) read only the
-- metadata that opening a store needs, and the marker was not among it: a tenant-scoped key manager
-- then took the strict format (`0.2`, fail closed) and refused its own tenant's 0.1 records during the
-- upgrade window, and `km.check()` could not report the format. The marker holds no secret (a format
-- name and a MAC), and a tenant that forged a reading of it gains nothing (it cannot write meta, and
-- the MAC fails), so `keywarden_get_meta` now returns it to tenant roles too. Nothing else changes:
-- every other key stays refused, and `keywarden_set_meta` refuses tenant roles as before.
--
-- `keywarden_schema_version()` answers 3. CREATE OR REPLACE keeps a function's owner and grants;
-- SECURITY DEFINER and the pinned search_path are set again below (a replaced function takes them
-- from the new definition).

CREATE OR REPLACE FUNCTION keywarden_get_meta(p_key text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF keywarden_tenant_scoped()
     AND p_key IS DISTINCT FROM 'store.id' AND p_key IS DISTINCT FROM 'store.pepper'
     AND p_key IS DISTINCT FROM 'audit.keyed' AND p_key IS DISTINCT FROM 'kms.passphrase'
     AND p_key IS DISTINCT FROM 'store.format' THEN
    RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'keywarden: this metadata is not readable by a tenant role';
  END IF;
  RETURN (SELECT m.value FROM keywarden_meta m WHERE m.key = p_key);
END $$;

CREATE OR REPLACE FUNCTION keywarden_schema_version() RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT 3 $$;

DO $kw$
BEGIN
  EXECUTE format('ALTER FUNCTION keywarden_get_meta(text) SECURITY DEFINER SET search_path = %I, pg_temp',
    current_schema());
  EXECUTE format('ALTER FUNCTION keywarden_schema_version() SET search_path = %I, pg_temp', current_schema());
  EXECUTE 'REVOKE ALL ON FUNCTION keywarden_get_meta(text) FROM PUBLIC';
  EXECUTE 'REVOKE ALL ON FUNCTION keywarden_schema_version() FROM PUBLIC';
END
$kw$;

INSERT INTO keywarden_migrations (version, name) VALUES (3, 'tenant_store_format') ON CONFLICT DO NOTHING;
