-- keywarden migration 1: records, audit chain, metadata, and one SQL function per adapter operation.
--
-- Run it with the target schema first on the search_path (Supabase: `public`). It is idempotent:
-- running it again changes nothing. Every function is SECURITY INVOKER (row-level security applies)
-- and pinned to the schema it was created in (see the end of this file).
--
-- Documents are stored as `json` (the exact text the client sent: no number reformatting, `\u0000`
-- allowed) and the indexed columns are derived from that document by the functions themselves.
-- Errors use custom SQLSTATEs: KW404 not found, KW409 conflict, KW410 already exists, KW422 invalid.

CREATE TABLE IF NOT EXISTS keywarden_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS keywarden_records (
  id text COLLATE "C" PRIMARY KEY,
  kind text NOT NULL,
  tenant_id text COLLATE "C",
  name text COLLATE "C" NOT NULL,
  unique_name boolean NOT NULL,
  environment text COLLATE "C" NOT NULL,
  status text NOT NULL,
  owner_id text COLLATE "C",
  provider text COLLATE "C",
  tags text[] COLLATE "C" NOT NULL DEFAULT '{}',
  expires_at double precision,
  due_at double precision,
  revision bigint NOT NULL,
  created_at double precision NOT NULL,
  updated_at double precision NOT NULL,
  record json NOT NULL
);

-- One unique name per (kind, tenant, environment). `tenant_id IS NULL` is part of the key, so a
-- record without tenant never collides with tenant '' (works on every PostgreSQL version).
CREATE UNIQUE INDEX IF NOT EXISTS keywarden_records_unique_name
  ON keywarden_records (kind, environment, name, (tenant_id IS NULL), (coalesce(tenant_id, '')))
  WHERE unique_name;
CREATE INDEX IF NOT EXISTS keywarden_records_created ON keywarden_records (created_at, id);
CREATE INDEX IF NOT EXISTS keywarden_records_tenant ON keywarden_records (tenant_id, created_at, id);
CREATE INDEX IF NOT EXISTS keywarden_records_owner ON keywarden_records (owner_id, created_at, id)
  WHERE owner_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS keywarden_records_due ON keywarden_records (due_at, id) WHERE due_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS keywarden_records_expires ON keywarden_records (expires_at)
  WHERE expires_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS keywarden_records_tags ON keywarden_records USING gin (tags);

CREATE TABLE IF NOT EXISTS keywarden_audit (
  seq bigint PRIMARY KEY,
  id text COLLATE "C" NOT NULL,
  at double precision NOT NULL,
  type text NOT NULL,
  key_id text COLLATE "C",
  tenant_id text COLLATE "C",
  digest text NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL,
  event json NOT NULL
);
CREATE INDEX IF NOT EXISTS keywarden_audit_key ON keywarden_audit (key_id, seq) WHERE key_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS keywarden_audit_type ON keywarden_audit (type, seq);
CREATE INDEX IF NOT EXISTS keywarden_audit_at ON keywarden_audit (at);

-- The head of the chain: one row, locked by every append, so concurrent writers form one chain.
CREATE TABLE IF NOT EXISTS keywarden_audit_head (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  seq bigint NOT NULL,
  hash text NOT NULL
);
INSERT INTO keywarden_audit_head (singleton, seq, hash) VALUES (true, 0, repeat('0', 64))
  ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS keywarden_meta (
  key text COLLATE "C" PRIMARY KEY,
  value text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Append-only audit log: rows can be inserted, never changed or deleted.
CREATE OR REPLACE FUNCTION keywarden_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'KW422', MESSAGE = 'keywarden: the audit log is append-only';
END $$;
DROP TRIGGER IF EXISTS keywarden_audit_append_only ON keywarden_audit;
CREATE TRIGGER keywarden_audit_append_only BEFORE UPDATE OR DELETE ON keywarden_audit
  FOR EACH ROW EXECUTE FUNCTION keywarden_audit_append_only();

-- ---------------------------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------------------------

-- The tenant of the caller's JWT (claim `tenant_id`), as PostgREST/Supabase set it; null outside.
CREATE OR REPLACE FUNCTION keywarden_jwt_tenant() RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'tenant_id'
$$;

-- A json document as jsonb, for extracting columns. jsonb rejects the escapes \u0000 and lone
-- surrogates that json (and JSON.stringify) allow: those are replaced by U+FFFD in this copy only.
CREATE OR REPLACE FUNCTION keywarden_doc_fields(p_doc json) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  t text := p_doc::text;
BEGIN
  IF strpos(t, '\u') > 0 THEN
    t := regexp_replace(t, '(?<!\\)((?:\\\\)*)\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})', '\1\\ufffd', 'g');
  END IF;
  RETURN t::jsonb;
END $$;

-- Checks a record document and returns it as jsonb.
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
  RETURN d;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Records
-- ---------------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION keywarden_get(p_id text) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT r.record FROM keywarden_records r WHERE r.id = p_id);
END $$;

CREATE OR REPLACE FUNCTION keywarden_find_by_name(p_kind text, p_environment text, p_name text, p_tenant_id text)
RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (
    SELECT r.record FROM keywarden_records r
    WHERE r.unique_name AND r.kind = p_kind AND r.environment = p_environment AND r.name = p_name
      AND (r.tenant_id IS NULL) = (p_tenant_id IS NULL) AND coalesce(r.tenant_id, '') = coalesce(p_tenant_id, '')
  );
END $$;

-- Keyset page in (created_at, id) order, at most p_limit records, as a json array.
-- p_any_tenant: ignore p_tenant_id; otherwise match it (null = only records without tenant).
CREATE OR REPLACE FUNCTION keywarden_list(
  p_limit integer,
  p_kind text DEFAULT NULL,
  p_any_tenant boolean DEFAULT true,
  p_tenant_id text DEFAULT NULL,
  p_environment text DEFAULT NULL,
  p_status text DEFAULT NULL,
  p_owner_id text DEFAULT NULL,
  p_tag text DEFAULT NULL,
  p_provider text DEFAULT NULL,
  p_name text DEFAULT NULL,
  p_after_created_at double precision DEFAULT NULL,
  p_after_id text DEFAULT NULL
) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  w text := 'true';
  result json;
BEGIN
  IF p_limit IS NULL OR p_limit < 1 OR p_limit > 1001 THEN
    RAISE EXCEPTION USING ERRCODE = 'KW422', MESSAGE = 'keywarden: limit must be 1..1000';
  END IF;
  -- Dynamic SQL so each call is planned with its own filters (and uses the matching index).
  IF p_kind IS NOT NULL THEN w := w || ' AND kind = $1'; END IF;
  IF NOT coalesce(p_any_tenant, true) THEN
    w := w || CASE WHEN p_tenant_id IS NULL THEN ' AND tenant_id IS NULL' ELSE ' AND tenant_id = $2' END;
  END IF;
  IF p_environment IS NOT NULL THEN w := w || ' AND environment = $3'; END IF;
  IF p_status IS NOT NULL THEN w := w || ' AND status = $4'; END IF;
  IF p_owner_id IS NOT NULL THEN w := w || ' AND owner_id = $5'; END IF;
  IF p_tag IS NOT NULL THEN w := w || ' AND tags @> ARRAY[$6]::text[]'; END IF;
  IF p_provider IS NOT NULL THEN w := w || ' AND provider = $7'; END IF;
  IF p_name IS NOT NULL THEN w := w || ' AND name = $8'; END IF;
  IF p_after_id IS NOT NULL THEN w := w || ' AND (created_at, id) > ($9, $10)'; END IF;
  EXECUTE 'SELECT coalesce(json_agg(s.record ORDER BY s.created_at, s.id), ''[]'') FROM ('
    || 'SELECT record, created_at, id FROM keywarden_records WHERE ' || w
    || ' ORDER BY created_at, id LIMIT $11) s'
    INTO result
    USING p_kind, p_tenant_id, p_environment, p_status, p_owner_id, p_tag, p_provider, p_name,
      p_after_created_at, p_after_id, p_limit;
  RETURN result;
END $$;

CREATE OR REPLACE FUNCTION keywarden_create(p_record json) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  d jsonb := keywarden_check_record(p_record);
BEGIN
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

-- Compare-and-swap: replaces the record only if its stored revision equals p_expected_revision.
CREATE OR REPLACE FUNCTION keywarden_update(p_record json, p_expected_revision bigint) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  d jsonb := keywarden_check_record(p_record);
  v_id text := d ->> 'id';
BEGIN
  IF p_expected_revision IS NULL OR (d ->> 'revision')::numeric <> p_expected_revision + 1 THEN
    RAISE EXCEPTION USING ERRCODE = 'KW422', MESSAGE = 'keywarden: record.revision must be expectedRevision + 1';
  END IF;
  BEGIN
    UPDATE keywarden_records SET kind = d ->> 'kind', tenant_id = d ->> 'tenantId', name = d ->> 'name',
      unique_name = (d ->> 'uniqueName')::boolean, environment = d ->> 'environment', status = d ->> 'status',
      owner_id = d ->> 'ownerId', provider = d ->> 'provider',
      tags = ARRAY(SELECT jsonb_array_elements_text(coalesce(d -> 'tags', '[]'))),
      expires_at = (d ->> 'expiresAt')::double precision, due_at = (d ->> 'dueAt')::double precision,
      revision = (d ->> 'revision')::bigint, created_at = (d ->> 'createdAt')::double precision,
      updated_at = (d ->> 'updatedAt')::double precision, record = p_record
    WHERE id = v_id AND revision = p_expected_revision;
  EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION USING ERRCODE = 'KW410', MESSAGE = 'keywarden: a record with this unique name exists';
  END;
  IF NOT FOUND THEN
    IF EXISTS (SELECT 1 FROM keywarden_records WHERE id = v_id) THEN
      RAISE EXCEPTION USING ERRCODE = 'KW409', MESSAGE = 'keywarden: revision conflict';
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'KW404', MESSAGE = 'keywarden: record not found';
  END IF;
END $$;

-- True if the record existed. With p_expected_revision, KW409 when the stored revision differs.
CREATE OR REPLACE FUNCTION keywarden_delete(p_id text, p_expected_revision bigint DEFAULT NULL) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  DELETE FROM keywarden_records
  WHERE id = p_id AND (p_expected_revision IS NULL OR revision = p_expected_revision);
  IF FOUND THEN
    RETURN true;
  END IF;
  IF p_expected_revision IS NOT NULL AND EXISTS (SELECT 1 FROM keywarden_records WHERE id = p_id) THEN
    RAISE EXCEPTION USING ERRCODE = 'KW409', MESSAGE = 'keywarden: revision conflict';
  END IF;
  RETURN false;
END $$;

-- Records due at or before p_before, by (due_at, id). Rows another runner is claiming right now
-- (locked) are skipped, so runners on many machines split the work; the rotator's compare-and-swap
-- update then makes each rotation happen exactly once.
CREATE OR REPLACE FUNCTION keywarden_due_for_rotation(p_before double precision, p_limit integer) RETURNS json
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  result json;
BEGIN
  SELECT coalesce(json_agg(s.record ORDER BY s.due_at, s.id), '[]') INTO result FROM (
    SELECT r.record, r.due_at, r.id FROM keywarden_records r
    WHERE r.due_at IS NOT NULL AND r.due_at <= p_before
    ORDER BY r.due_at, r.id
    LIMIT greatest(coalesce(p_limit, 0), 0)
    FOR UPDATE SKIP LOCKED
  ) s;
  RETURN result;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Audit
-- ---------------------------------------------------------------------------------------------

-- Appends events in order. The head row lock serializes appenders: seqs are gapless and
-- hash = sha256(prev_hash || '\n' || seq || '\n' || digest), as src/internal/audit-chain.ts.
CREATE OR REPLACE FUNCTION keywarden_append_audit(p_events json) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
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
  SELECT h.seq, h.hash INTO v_seq, v_hash FROM keywarden_audit_head h WHERE h.singleton FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION USING ERRCODE = 'KW404', MESSAGE = 'keywarden: audit head row missing';
  END IF;
  FOR e IN SELECT value FROM json_array_elements(p_events) LOOP
    d := keywarden_doc_fields(e);
    IF jsonb_typeof(d -> 'id') IS DISTINCT FROM 'string' OR jsonb_typeof(d -> 'at') IS DISTINCT FROM 'number'
       OR jsonb_typeof(d -> 'type') IS DISTINCT FROM 'string'
       OR jsonb_typeof(d -> 'digest') IS DISTINCT FROM 'string' THEN
      RAISE EXCEPTION USING ERRCODE = 'KW422', MESSAGE = 'keywarden: audit event is missing a field';
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

-- Events in ascending seq as a json array of {"e": event, "seq", "prevHash", "hash"}.
CREATE OR REPLACE FUNCTION keywarden_list_audit(
  p_limit integer,
  p_key_id text DEFAULT NULL,
  p_type text DEFAULT NULL,
  p_since double precision DEFAULT NULL,
  p_until double precision DEFAULT NULL,
  p_after_seq bigint DEFAULT NULL
) RETURNS json
LANGUAGE plpgsql STABLE AS $$
DECLARE
  result json;
BEGIN
  IF p_limit IS NULL OR p_limit < 1 OR p_limit > 1001 THEN
    RAISE EXCEPTION USING ERRCODE = 'KW422', MESSAGE = 'keywarden: limit must be 1..1000';
  END IF;
  SELECT coalesce(json_agg(json_build_object('e', s.event, 'seq', s.seq, 'prevHash', s.prev_hash, 'hash', s.hash)
    ORDER BY s.seq), '[]') INTO result
  FROM (
    SELECT a.event, a.seq, a.prev_hash, a.hash FROM keywarden_audit a
    WHERE (p_key_id IS NULL OR a.key_id = p_key_id)
      AND (p_type IS NULL OR a.type = p_type)
      AND (p_since IS NULL OR a.at >= p_since)
      AND (p_until IS NULL OR a.at < p_until)
      AND a.seq > coalesce(p_after_seq, 0)
    ORDER BY a.seq
    LIMIT p_limit
  ) s;
  RETURN result;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Metadata
-- ---------------------------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION keywarden_get_meta(p_key text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN (SELECT m.value FROM keywarden_meta m WHERE m.key = p_key);
END $$;

-- p_check false: unconditional upsert. p_check true: only if the current value equals p_expected
-- (null: only if absent), else KW409.
CREATE OR REPLACE FUNCTION keywarden_set_meta(p_key text, p_value text, p_check boolean DEFAULT false,
  p_expected text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
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

-- The schema version the functions implement (the adapters check it in init()).
CREATE OR REPLACE FUNCTION keywarden_schema_version() RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT 1 $$;

-- ---------------------------------------------------------------------------------------------
-- Row-level security. The table owner (the migration role) bypasses it. Every other role sees
-- everything, except the Supabase roles: `authenticated` sees only its tenant (JWT claim
-- `tenant_id`), `anon` sees nothing. `service_role` has BYPASSRLS on Supabase.
-- ---------------------------------------------------------------------------------------------

ALTER TABLE keywarden_migrations ENABLE ROW LEVEL SECURITY;
ALTER TABLE keywarden_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE keywarden_audit ENABLE ROW LEVEL SECURITY;
ALTER TABLE keywarden_audit_head ENABLE ROW LEVEL SECURITY;
ALTER TABLE keywarden_meta ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS keywarden_trusted ON keywarden_migrations;
CREATE POLICY keywarden_trusted ON keywarden_migrations
  USING (current_user NOT IN ('anon', 'authenticated')) WITH CHECK (current_user NOT IN ('anon', 'authenticated'));

DROP POLICY IF EXISTS keywarden_trusted ON keywarden_records;
CREATE POLICY keywarden_trusted ON keywarden_records
  USING (current_user NOT IN ('anon', 'authenticated')) WITH CHECK (current_user NOT IN ('anon', 'authenticated'));
DROP POLICY IF EXISTS keywarden_tenant ON keywarden_records;
CREATE POLICY keywarden_tenant ON keywarden_records
  USING (current_user = 'authenticated' AND tenant_id = (SELECT keywarden_jwt_tenant()))
  WITH CHECK (current_user = 'authenticated' AND tenant_id = (SELECT keywarden_jwt_tenant()));

DROP POLICY IF EXISTS keywarden_trusted ON keywarden_audit;
CREATE POLICY keywarden_trusted ON keywarden_audit
  USING (current_user NOT IN ('anon', 'authenticated')) WITH CHECK (current_user NOT IN ('anon', 'authenticated'));
DROP POLICY IF EXISTS keywarden_tenant_read ON keywarden_audit;
CREATE POLICY keywarden_tenant_read ON keywarden_audit FOR SELECT
  USING (current_user = 'authenticated' AND tenant_id = (SELECT keywarden_jwt_tenant()));
DROP POLICY IF EXISTS keywarden_tenant_append ON keywarden_audit;
CREATE POLICY keywarden_tenant_append ON keywarden_audit FOR INSERT
  WITH CHECK (current_user = 'authenticated' AND (tenant_id IS NULL OR tenant_id = (SELECT keywarden_jwt_tenant())));

DROP POLICY IF EXISTS keywarden_trusted ON keywarden_audit_head;
CREATE POLICY keywarden_trusted ON keywarden_audit_head
  USING (current_user NOT IN ('anon', 'authenticated')) WITH CHECK (current_user NOT IN ('anon', 'authenticated'));
DROP POLICY IF EXISTS keywarden_tenant_append ON keywarden_audit_head;
CREATE POLICY keywarden_tenant_append ON keywarden_audit_head
  USING (current_user = 'authenticated') WITH CHECK (current_user = 'authenticated');

DROP POLICY IF EXISTS keywarden_trusted ON keywarden_meta;
CREATE POLICY keywarden_trusted ON keywarden_meta
  USING (current_user NOT IN ('anon', 'authenticated')) WITH CHECK (current_user NOT IN ('anon', 'authenticated'));
DROP POLICY IF EXISTS keywarden_tenant_read ON keywarden_meta;
CREATE POLICY keywarden_tenant_read ON keywarden_meta FOR SELECT USING (current_user = 'authenticated');

-- ---------------------------------------------------------------------------------------------
-- Privileges and search_path pinning (needs to know the schema, hence dynamic SQL).
-- ---------------------------------------------------------------------------------------------

DO $kw$
DECLARE
  s text := current_schema();
  f regprocedure;
  t text;
BEGIN
  FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
    WHERE p.pronamespace = s::regnamespace AND p.proname LIKE 'keywarden\_%' LOOP
    EXECUTE format('ALTER FUNCTION %s SET search_path = %I, pg_temp', f, s);
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
  END LOOP;
  FOREACH t IN ARRAY ARRAY['keywarden_migrations', 'keywarden_records', 'keywarden_audit',
    'keywarden_audit_head', 'keywarden_meta'] LOOP
    EXECUTE format('REVOKE ALL ON TABLE %I.%I FROM PUBLIC', s, t);
  END LOOP;
  -- Supabase roles, when they exist.
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
      WHERE p.pronamespace = s::regnamespace AND p.proname LIKE 'keywarden\_%' LOOP
      EXECUTE format('REVOKE ALL ON FUNCTION %s FROM anon', f);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['keywarden_migrations', 'keywarden_records', 'keywarden_audit',
      'keywarden_audit_head', 'keywarden_meta'] LOOP
      EXECUTE format('REVOKE ALL ON TABLE %I.%I FROM anon', s, t);
    END LOOP;
  END IF;
  FOREACH t IN ARRAY ARRAY['authenticated', 'service_role'] LOOP
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = t) THEN
      EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', s, t);
      FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
        WHERE p.pronamespace = s::regnamespace AND p.proname LIKE 'keywarden\_%' LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', f, t);
      END LOOP;
      EXECUTE format('REVOKE ALL ON TABLE %I.keywarden_migrations, %I.keywarden_records, %I.keywarden_audit,'
        || ' %I.keywarden_audit_head, %I.keywarden_meta FROM %I', s, s, s, s, s, t);
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE %I.keywarden_records TO %I', s, t);
      EXECUTE format('GRANT SELECT, INSERT ON TABLE %I.keywarden_audit TO %I', s, t);
      EXECUTE format('GRANT SELECT, UPDATE ON TABLE %I.keywarden_audit_head TO %I', s, t);
      IF t = 'service_role' THEN
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE %I.keywarden_meta TO %I', s, t);
        EXECUTE format('GRANT SELECT ON TABLE %I.keywarden_migrations TO %I', s, t);
      ELSE
        EXECUTE format('GRANT SELECT ON TABLE %I.keywarden_meta TO %I', s, t);
      END IF;
    END IF;
  END LOOP;
END
$kw$;

INSERT INTO keywarden_migrations (version, name) VALUES (1, 'init') ON CONFLICT DO NOTHING;
