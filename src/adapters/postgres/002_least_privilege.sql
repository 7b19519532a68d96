-- keywarden migration 2: least privilege for the roles that call keywarden.
--
-- 0.1 let the Supabase role `authenticated` (and the documented `app` role) write the tables
-- directly, so a tenant could rewrite its record's document to another tenant, move the audit head,
-- or append events about other tenants' keys. From this version:
--
-- * No role but the owner (the role that runs the migrations) has INSERT, UPDATE, DELETE or
--   TRUNCATE on any keywarden table. Every write goes through a function below that runs as the
--   owner (SECURITY DEFINER, search_path pinned), derives every indexed column from the document,
--   and for a tenant role (`anon`, `authenticated`) refuses anything outside the JWT's `tenant_id`.
-- * `keywarden_audit` and `keywarden_audit_head` are written only by `keywarden_append_audit`,
--   which refuses a tenant's events that name another tenant or another tenant's record.
-- * `keywarden_meta` is not readable by tenant roles; `keywarden_get_meta` gives them only the keys
--   a tenant-scoped key manager needs to open the store (`store.id`, the KMS-wrapped pepper, the
--   audit key marker, the passphrase KMS parameters), and `keywarden_set_meta` refuses them.
-- * Indexed strings are compared on their exact text: a document whose indexed field holds a
--   `\u0000` or surrogate escape is refused (JSON.stringify never escapes a valid pair).
--
-- Upgrading a 0.1 schema revokes every table privilege of every role except the owner, then gives
-- back SELECT on records and audit (read paths stay SECURITY INVOKER under row-level security) and
-- EXECUTE on the API functions to the roles that had privileges before.

-- ---------------------------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------------------------

-- True when the caller is a Supabase tenant role (`anon`, `authenticated`), also inside the
-- SECURITY DEFINER functions below: PostgREST and `SET ROLE` set the `role` setting, which a
-- SECURITY DEFINER call does not change (only current_user changes).
CREATE OR REPLACE FUNCTION keywarden_tenant_scoped() RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('role', true), 'none') IN ('anon', 'authenticated')
    OR session_user::text IN ('anon', 'authenticated')
$$;

-- keywarden_doc_fields (migration 1) gives a jsonb copy of a json document in which the escapes
-- jsonb cannot hold (\u0000, UTF-16 surrogates) became U+FFFD. This copy marks them with U+FFFF
-- instead: a field that differs between the two copies held such an escape, so its column could
-- not be its exact text (two names would meet in U+FFFD). Null when there is no escape at all.
CREATE OR REPLACE FUNCTION keywarden_doc_marked(p_doc json) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  t text := p_doc::text;
BEGIN
  IF strpos(t, '\u') = 0 THEN
    RETURN NULL;
  END IF;
  t := regexp_replace(t, '(?<!\\)((?:\\\\)*)\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})', '\1\\uffff', 'g');
  RETURN t::jsonb;
END $$;

-- True when one of the fields of d (the U+FFFD copy) differs in m (the U+FFFF copy).
CREATE OR REPLACE FUNCTION keywarden_inexact(d jsonb, m jsonb, p_fields text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT m IS NOT NULL AND EXISTS (SELECT 1 FROM unnest(p_fields) f WHERE (d -> f) IS DISTINCT FROM (m -> f))
$$;

-- Checks a record document and returns it as jsonb. Indexed string fields must be exact.
CREATE OR REPLACE FUNCTION keywarden_check_record(p_record json) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  d jsonb;
BEGIN
  IF p_record IS NULL OR json_typeof(p_record) <> 'object' THEN
    RAISE EXCEPTION USING ERRCODE = 'KW422', MESSAGE = 'keywarden: record must be an object';
  END IF;
  d := keywarden_doc_fields(p_record);
  IF jsonb_typeof(d -> 'id') IS DISTINCT FROM 'string' OR d ->> 'id' = ''
     OR jsonb_typeof(d -> 'kind') IS DISTINCT FROM 'string'
     OR jsonb_typeof(d -> 'name') IS DISTINCT FROM 'string'
     OR jsonb_typeof(d -> 'environment') IS DISTINCT FROM 'string'
     OR jsonb_typeof(d -> 'status') IS DISTINCT FROM 'string'
     OR jsonb_typeof(d -> 'uniqueName') IS DISTINCT FROM 'boolean'
     OR jsonb_typeof(d -> 'revision') IS DISTINCT FROM 'number'
     OR jsonb_typeof(d -> 'createdAt') IS DISTINCT FROM 'number'
     OR jsonb_typeof(d -> 'updatedAt') IS DISTINCT FROM 'number'
     OR jsonb_typeof(coalesce(d -> 'tenantId', 'null')) NOT IN ('string', 'null')
     OR jsonb_typeof(coalesce(d -> 'ownerId', 'null')) NOT IN ('string', 'null')
     OR jsonb_typeof(coalesce(d -> 'provider', 'null')) NOT IN ('string', 'null')
     OR jsonb_typeof(coalesce(d -> 'expiresAt', 'null')) NOT IN ('number', 'null')
     OR jsonb_typeof(coalesce(d -> 'dueAt', 'null')) NOT IN ('number', 'null')
     OR jsonb_typeof(coalesce(d -> 'tags', '[]')) <> 'array' THEN
    RAISE EXCEPTION USING ERRCODE = 'KW422', MESSAGE = 'keywarden: record is missing a field or has a wrong type';
  END IF;
  IF keywarden_inexact(d, keywarden_doc_marked(p_record),
       ARRAY['id', 'kind', 'tenantId', 'name', 'environment', 'status', 'ownerId', 'provider', 'tags']) THEN
    RAISE EXCEPTION USING ERRCODE = 'KW422',
      MESSAGE = 'keywarden: an indexed field holds a NUL or surrogate escape (not well-formed text)';
  END IF;
  RETURN d;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Writes: SECURITY DEFINER (set below), scoped to the JWT tenant for tenant roles.
-- ---------------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION keywarden_create(p_record json) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  d jsonb := keywarden_check_record(p_record);
  v_scoped boolean := keywarden_tenant_scoped();
  v_tenant text := keywarden_jwt_tenant();
BEGIN
  IF v_scoped AND (v_tenant IS NULL OR (d ->> 'tenantId') IS DISTINCT FROM v_tenant) THEN
    RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'keywarden: the record is outside the caller''s tenant';
  END IF;
  INSERT INTO keywarden_records (id, kind, tenant_id, name, unique_name, environment, status, owner_id,
    provider, tags, expires_at, due_at, revision, created_at, updated_at, record)
  VALUES (d ->> 'id', d ->> 'kind', d ->> 'tenantId', d ->> 'name', (d ->> 'uniqueName')::boolean,
    d ->> 'environment', d ->> 'status', d ->> 'ownerId', d ->> 'provider',
    ARRAY(SELECT jsonb_array_elements_text(coalesce(d -> 'tags', '[]'))),
    (d ->> 'expiresAt')::double precision, (d ->> 'dueAt')::double precision, (d ->> 'revision')::bigint,
    (d ->> 'createdAt')::double precision, (d ->> 'updatedAt')::double precision, p_record)
  ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'KW410', MESSAGE = 'keywarden: a record with this id or unique name exists';
  END IF;
END $$;

-- Compare-and-swap. A tenant role cannot see (KW404) another tenant's row, nor move its own away.
CREATE OR REPLACE FUNCTION keywarden_update(p_record json, p_expected_revision bigint) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  d jsonb := keywarden_check_record(p_record);
  v_id text := d ->> 'id';
  v_scoped boolean := keywarden_tenant_scoped();
  v_tenant text := keywarden_jwt_tenant();
BEGIN
  IF p_expected_revision IS NULL OR (d ->> 'revision')::numeric <> p_expected_revision + 1 THEN
    RAISE EXCEPTION USING ERRCODE = 'KW422', MESSAGE = 'keywarden: record.revision must be expectedRevision + 1';
  END IF;
  IF v_scoped AND NOT EXISTS (SELECT 1 FROM keywarden_records WHERE id = v_id AND tenant_id = v_tenant) THEN
    RAISE EXCEPTION USING ERRCODE = 'KW404', MESSAGE = 'keywarden: record not found';
  END IF;
  IF v_scoped AND (d ->> 'tenantId') IS DISTINCT FROM v_tenant THEN
    RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'keywarden: the record is outside the caller''s tenant';
  END IF;
  BEGIN
    UPDATE keywarden_records SET kind = d ->> 'kind', tenant_id = d ->> 'tenantId', name = d ->> 'name',
      unique_name = (d ->> 'uniqueName')::boolean, environment = d ->> 'environment', status = d ->> 'status',
      owner_id = d ->> 'ownerId', provider = d ->> 'provider',
      tags = ARRAY(SELECT jsonb_array_elements_text(coalesce(d -> 'tags', '[]'))),
      expires_at = (d ->> 'expiresAt')::double precision, due_at = (d ->> 'dueAt')::double precision,
      revision = (d ->> 'revision')::bigint, created_at = (d ->> 'createdAt')::double precision,
      updated_at = (d ->> 'updatedAt')::double precision, record = p_record
    WHERE id = v_id AND revision = p_expected_revision AND (NOT v_scoped OR tenant_id = v_tenant);
  EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION USING ERRCODE = 'KW410', MESSAGE = 'keywarden: a record with this unique name exists';
  END;
  IF NOT FOUND THEN
    IF EXISTS (SELECT 1 FROM keywarden_records WHERE id = v_id AND (NOT v_scoped OR tenant_id = v_tenant)) THEN
      RAISE EXCEPTION USING ERRCODE = 'KW409', MESSAGE = 'keywarden: revision conflict';
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'KW404', MESSAGE = 'keywarden: record not found';
  END IF;
END $$;

CREATE OR REPLACE FUNCTION keywarden_delete(p_id text, p_expected_revision bigint DEFAULT NULL) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_scoped boolean := keywarden_tenant_scoped();
  v_tenant text := keywarden_jwt_tenant();
BEGIN
  DELETE FROM keywarden_records
  WHERE id = p_id AND (p_expected_revision IS NULL OR revision = p_expected_revision)
    AND (NOT v_scoped OR tenant_id = v_tenant);
  IF FOUND THEN
    RETURN true;
  END IF;
  IF p_expected_revision IS NOT NULL AND EXISTS (SELECT 1 FROM keywarden_records
      WHERE id = p_id AND (NOT v_scoped OR tenant_id = v_tenant)) THEN
    RAISE EXCEPTION USING ERRCODE = 'KW409', MESSAGE = 'keywarden: revision conflict';
  END IF;
  RETURN false;
END $$;

-- Locks what it returns (FOR UPDATE SKIP LOCKED), hence a writer: runs as the owner, scoped.
CREATE OR REPLACE FUNCTION keywarden_due_for_rotation(p_before double precision, p_limit integer) RETURNS json
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_scoped boolean := keywarden_tenant_scoped();
  v_tenant text := keywarden_jwt_tenant();
  result json;
BEGIN
  SELECT coalesce(json_agg(s.record ORDER BY s.due_at, s.id), '[]') INTO result FROM (
    SELECT r.record, r.due_at, r.id FROM keywarden_records r
    WHERE r.due_at IS NOT NULL AND r.due_at <= p_before AND (NOT v_scoped OR r.tenant_id = v_tenant)
    ORDER BY r.due_at, r.id
    LIMIT greatest(coalesce(p_limit, 0), 0)
    FOR UPDATE SKIP LOCKED
  ) s;
  RETURN result;
END $$;

-- The only writer of the audit log and its head. A tenant role may append only events of its own
-- tenant (or without tenant) that name no record of another tenant (nor a record without tenant).
CREATE OR REPLACE FUNCTION keywarden_append_audit(p_events json) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_scoped boolean := keywarden_tenant_scoped();
  v_tenant text := keywarden_jwt_tenant();
  v_seq bigint;
  v_hash text;
  v_prev text;
  e json;
  d jsonb;
BEGIN
  IF p_events IS NULL OR json_typeof(p_events) <> 'array' THEN
    RAISE EXCEPTION USING ERRCODE = 'KW422', MESSAGE = 'keywarden: events must be an array';
  END IF;
  IF json_array_length(p_events) = 0 THEN
    RETURN;
  END IF;
  IF v_scoped AND v_tenant IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'keywarden: no tenant in the caller''s claims';
  END IF;
  SELECT h.seq, h.hash INTO v_seq, v_hash FROM keywarden_audit_head h WHERE h.singleton FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'KW404', MESSAGE = 'keywarden: audit head row missing';
  END IF;
  FOR e IN SELECT value FROM json_array_elements(p_events) LOOP
    IF json_typeof(e) IS DISTINCT FROM 'object' THEN
      RAISE EXCEPTION USING ERRCODE = 'KW422', MESSAGE = 'keywarden: audit event must be an object';
    END IF;
    d := keywarden_doc_fields(e);
    IF jsonb_typeof(d -> 'id') IS DISTINCT FROM 'string' OR jsonb_typeof(d -> 'at') IS DISTINCT FROM 'number'
       OR jsonb_typeof(d -> 'type') IS DISTINCT FROM 'string'
       OR jsonb_typeof(d -> 'digest') IS DISTINCT FROM 'string'
       OR jsonb_typeof(coalesce(d -> 'keyId', 'null')) NOT IN ('string', 'null')
       OR jsonb_typeof(coalesce(d -> 'tenantId', 'null')) NOT IN ('string', 'null') THEN
      RAISE EXCEPTION USING ERRCODE = 'KW422', MESSAGE = 'keywarden: audit event is missing a field';
    END IF;
    IF keywarden_inexact(d, keywarden_doc_marked(e), ARRAY['id', 'type', 'keyId', 'tenantId', 'digest']) THEN
      RAISE EXCEPTION USING ERRCODE = 'KW422',
        MESSAGE = 'keywarden: an indexed audit field holds a NUL or surrogate escape (not well-formed text)';
    END IF;
    IF v_scoped THEN
      IF (d ->> 'tenantId') IS NOT NULL AND (d ->> 'tenantId') <> v_tenant THEN
        RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'keywarden: the event names another tenant';
      END IF;
      IF (d ->> 'keyId') IS NOT NULL AND EXISTS (SELECT 1 FROM keywarden_records r
          WHERE r.id = d ->> 'keyId' AND r.tenant_id IS DISTINCT FROM v_tenant) THEN
        RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'keywarden: the event names a record of another tenant';
      END IF;
    END IF;
    v_prev := v_hash;
    v_seq := v_seq + 1;
    v_hash := encode(sha256(convert_to(v_prev || E'\n' || v_seq::text || E'\n' || (d ->> 'digest'), 'UTF8')), 'hex');
    INSERT INTO keywarden_audit (seq, id, at, type, key_id, tenant_id, digest, prev_hash, hash, event)
    VALUES (v_seq, d ->> 'id', (d ->> 'at')::double precision, d ->> 'type', d ->> 'keyId', d ->> 'tenantId',
      d ->> 'digest', v_prev, v_hash, e);
  END LOOP;
  UPDATE keywarden_audit_head SET seq = v_seq, hash = v_hash WHERE singleton;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Metadata: owner rights; tenant roles read only what opening the store needs, and write nothing.
-- ---------------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION keywarden_get_meta(p_key text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF keywarden_tenant_scoped()
     AND p_key IS DISTINCT FROM 'store.id' AND p_key IS DISTINCT FROM 'store.pepper'
     AND p_key IS DISTINCT FROM 'audit.keyed' AND p_key IS DISTINCT FROM 'kms.passphrase' THEN
    RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'keywarden: this metadata is not readable by a tenant role';
  END IF;
  RETURN (SELECT m.value FROM keywarden_meta m WHERE m.key = p_key);
END $$;

CREATE OR REPLACE FUNCTION keywarden_set_meta(p_key text, p_value text, p_check boolean DEFAULT false,
  p_expected text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF keywarden_tenant_scoped() THEN
    RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = 'keywarden: a tenant role cannot write metadata';
  END IF;
  IF p_key IS NULL OR p_value IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'KW422', MESSAGE = 'keywarden: meta key and value are required';
  END IF;
  IF NOT coalesce(p_check, false) THEN
    INSERT INTO keywarden_meta AS m (key, value) VALUES (p_key, p_value)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now();
  ELSIF p_expected IS NULL THEN
    INSERT INTO keywarden_meta (key, value) VALUES (p_key, p_value) ON CONFLICT (key) DO NOTHING;
    IF NOT FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'KW409', MESSAGE = 'keywarden: meta value changed';
    END IF;
  ELSE
    UPDATE keywarden_meta SET value = p_value, updated_at = now() WHERE key = p_key AND value = p_expected;
    IF NOT FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'KW409', MESSAGE = 'keywarden: meta value changed';
    END IF;
  END IF;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Schema checks for the adapters' init()
-- ---------------------------------------------------------------------------------------------

-- The names in p_names (a json array of strings) that are not functions of this schema, as a json
-- array. Lets init() name what is missing instead of failing later on the first call.
CREATE OR REPLACE FUNCTION keywarden_missing_functions(p_names json) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT coalesce(json_agg(n ORDER BY n), '[]') FROM json_array_elements_text(p_names) AS n
  WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_proc p
    WHERE p.proname = n AND p.pronamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = current_schema()))
$$;

CREATE OR REPLACE FUNCTION keywarden_schema_version() RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT 2 $$;

-- ---------------------------------------------------------------------------------------------
-- Row-level security: tenant roles read their tenant's rows; they write nothing directly.
-- ---------------------------------------------------------------------------------------------

DROP POLICY IF EXISTS keywarden_tenant ON keywarden_records;
CREATE POLICY keywarden_tenant ON keywarden_records FOR SELECT
  USING (current_user = 'authenticated' AND tenant_id = (SELECT keywarden_jwt_tenant()));
DROP POLICY IF EXISTS keywarden_tenant_append ON keywarden_audit;
DROP POLICY IF EXISTS keywarden_tenant_append ON keywarden_audit_head;
DROP POLICY IF EXISTS keywarden_tenant_read ON keywarden_meta;

-- ---------------------------------------------------------------------------------------------
-- Privileges (dynamic SQL: needs the schema and the roles that exist).
-- ---------------------------------------------------------------------------------------------

DO $kw$
DECLARE
  s text := current_schema();
  f regprocedure;
  r record;
  clients regrole[] := '{}';
  g regrole;
  tables text[] := ARRAY['keywarden_migrations', 'keywarden_records', 'keywarden_audit',
    'keywarden_audit_head', 'keywarden_meta'];
  api text[] := ARRAY['keywarden_get', 'keywarden_find_by_name', 'keywarden_list', 'keywarden_create',
    'keywarden_update', 'keywarden_delete', 'keywarden_due_for_rotation', 'keywarden_append_audit',
    'keywarden_list_audit', 'keywarden_get_meta', 'keywarden_set_meta', 'keywarden_schema_version',
    'keywarden_missing_functions', 'keywarden_jwt_tenant'];
  definer text[] := ARRAY['keywarden_create', 'keywarden_update', 'keywarden_delete',
    'keywarden_due_for_rotation', 'keywarden_append_audit', 'keywarden_get_meta', 'keywarden_set_meta'];
BEGIN
  -- The roles that use keywarden today: every grantee of a keywarden table or function but the owner.
  FOR r IN
    SELECT DISTINCT a.grantee FROM pg_class c, aclexplode(c.relacl) a
    WHERE c.relnamespace = s::regnamespace AND c.relname = ANY (tables) AND a.grantee <> c.relowner
    UNION
    SELECT DISTINCT a.grantee FROM pg_proc p, aclexplode(p.proacl) a
    WHERE p.pronamespace = s::regnamespace AND p.proname = ANY (api) AND a.grantee <> p.proowner
  LOOP
    IF r.grantee <> 0 THEN
      clients := clients || r.grantee::regrole;
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN
    clients := clients || 'authenticated'::regrole;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    clients := clients || 'service_role'::regrole;
  END IF;

  -- Revoke everything on the tables from everyone but the owner (PUBLIC included).
  FOR r IN
    SELECT c.relname, a.grantee FROM pg_class c, aclexplode(c.relacl) a
    WHERE c.relnamespace = s::regnamespace AND c.relname = ANY (tables) AND a.grantee <> c.relowner
  LOOP
    EXECUTE format('REVOKE ALL ON TABLE %I.%I FROM %s', s, r.relname,
      CASE WHEN r.grantee = 0 THEN 'PUBLIC' ELSE r.grantee::regrole::text END);
  END LOOP;

  -- Every keywarden function: pinned search_path, no EXECUTE for anyone but the owner...
  FOR r IN
    SELECT p.oid::regprocedure AS f, p.proname, p.proacl FROM pg_proc p
    WHERE p.pronamespace = s::regnamespace AND p.proname LIKE 'keywarden\_%'
  LOOP
    EXECUTE format('ALTER FUNCTION %s SET search_path = %I, pg_temp', r.f, s);
    IF r.proname = ANY (definer) THEN
      EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER', r.f);
    END IF;
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', r.f);
    FOR g IN SELECT a.grantee::regrole FROM aclexplode(r.proacl) a, pg_proc p
      WHERE p.oid = r.f AND a.grantee <> p.proowner AND a.grantee <> 0 LOOP
      EXECUTE format('REVOKE ALL ON FUNCTION %s FROM %s', r.f, g);
    END LOOP;
  END LOOP;

  -- ...then the client roles get what they need: EXECUTE on the API, SELECT on records and audit
  -- (row-level security limits tenant roles to their tenant), and trusted roles the migrations list.
  FOREACH g IN ARRAY clients LOOP
    IF g::text = 'anon' THEN
      CONTINUE;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %s', s, g);
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
      WHERE p.pronamespace = s::regnamespace AND p.proname = ANY (api) LOOP
      EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s', f, g);
    END LOOP;
    EXECUTE format('GRANT SELECT ON TABLE %I.keywarden_records, %I.keywarden_audit TO %s', s, s, g);
    IF g::text <> 'authenticated' THEN
      EXECUTE format('GRANT SELECT ON TABLE %I.keywarden_migrations TO %s', s, g);
    END IF;
  END LOOP;
END
$kw$;

INSERT INTO keywarden_migrations (version, name) VALUES (2, 'least_privilege') ON CONFLICT DO NOTHING;
