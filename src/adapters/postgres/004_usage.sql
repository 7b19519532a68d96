-- keywarden migration 4: the usage analytics rollup (issue 13).
--
-- keywarden_usage holds, per record and UTC hour (bucket = epoch ms of the hour's start), the
-- counts of valid and failed uses. Managers buffer counts in memory and add them in batches with
-- keywarden_add_usage: one statement per batch, additive (ON CONFLICT adds, never overwrites), rows
-- locked in (record_id, bucket) order, so concurrent writers neither lose a count nor deadlock.
-- Like every keywarden table it is written only through a SECURITY DEFINER function; a tenant role
-- (`authenticated`) may add and read only the usage of its tenant's records.
-- (Migration 3 is another change of the same release; the numbers only order them.)

CREATE TABLE IF NOT EXISTS keywarden_usage (
  record_id text COLLATE "C" NOT NULL,
  bucket double precision NOT NULL,
  valid bigint NOT NULL DEFAULT 0 CHECK (valid >= 0),
  failed bigint NOT NULL DEFAULT 0 CHECK (failed >= 0),
  PRIMARY KEY (record_id, bucket)
);

-- Adds a batch of counts: p_rows is a json array of { recordId, bucket, valid, failed }.
CREATE OR REPLACE FUNCTION keywarden_add_usage(p_rows json) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF p_rows IS NULL OR json_typeof(p_rows) <> 'array' THEN
    RAISE EXCEPTION USING ERRCODE = 'KW422', MESSAGE = 'keywarden: usage rows must be an array';
  END IF;
  IF EXISTS (SELECT 1 FROM json_array_elements(p_rows) r
      WHERE json_typeof(r -> 'recordId') IS DISTINCT FROM 'string'
        OR json_typeof(r -> 'bucket') IS DISTINCT FROM 'number'
        OR json_typeof(r -> 'valid') IS DISTINCT FROM 'number'
        OR json_typeof(r -> 'failed') IS DISTINCT FROM 'number'
        OR (r ->> 'valid')::numeric < 0 OR (r ->> 'failed')::numeric < 0) THEN
    RAISE EXCEPTION USING ERRCODE = 'KW422', MESSAGE = 'keywarden: malformed usage row';
  END IF;
  IF keywarden_tenant_scoped() AND EXISTS (
      SELECT 1 FROM json_array_elements(p_rows) r
      LEFT JOIN keywarden_records k ON k.id = r ->> 'recordId'
      WHERE k.id IS NULL OR k.tenant_id IS DISTINCT FROM keywarden_jwt_tenant()) THEN
    RAISE EXCEPTION USING ERRCODE = 'KW404', MESSAGE = 'keywarden: usage of a record outside the tenant';
  END IF;
  INSERT INTO keywarden_usage AS u (record_id, bucket, valid, failed)
  SELECT r ->> 'recordId', (r ->> 'bucket')::double precision,
         sum((r ->> 'valid')::bigint), sum((r ->> 'failed')::bigint)
  FROM json_array_elements(p_rows) r
  GROUP BY 1, 2
  ORDER BY 1, 2
  ON CONFLICT (record_id, bucket) DO UPDATE
    SET valid = u.valid + excluded.valid, failed = u.failed + excluded.failed;
END $$;

-- The usage rows of one record with p_from <= bucket < p_to, by bucket, as a json array.
CREATE OR REPLACE FUNCTION keywarden_list_usage(p_record_id text, p_from double precision,
  p_to double precision) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF keywarden_tenant_scoped() AND NOT EXISTS (SELECT 1 FROM keywarden_records
      WHERE id = p_record_id AND tenant_id IS NOT DISTINCT FROM keywarden_jwt_tenant()) THEN
    RETURN '[]'::json;
  END IF;
  RETURN coalesce((SELECT json_agg(json_build_object('recordId', record_id, 'bucket', bucket,
      'valid', valid, 'failed', failed) ORDER BY bucket)
    FROM keywarden_usage WHERE record_id = p_record_id AND bucket >= p_from AND bucket < p_to), '[]'::json);
END $$;

CREATE OR REPLACE FUNCTION keywarden_schema_version() RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT 4 $$;

-- Privileges, as migration 2 set them for the other functions: the table only for the owner; the
-- two functions run as the owner with a pinned search_path, callable by every role that may call
-- keywarden_get (the roles that use keywarden), never by PUBLIC.
DO $kw$
DECLARE
  s text := current_schema();
  f regprocedure;
  g regrole;
BEGIN
  EXECUTE format('REVOKE ALL ON TABLE %I.keywarden_usage FROM PUBLIC', s);
  FOREACH f IN ARRAY ARRAY[
      format('%I.keywarden_add_usage(json)', s)::regprocedure,
      format('%I.keywarden_list_usage(text, double precision, double precision)', s)::regprocedure] LOOP
    EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER', f);
    EXECUTE format('ALTER FUNCTION %s SET search_path = %I, pg_temp', f, s);
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    FOR g IN SELECT a.grantee::regrole FROM pg_proc p, aclexplode(p.proacl) a
        WHERE p.oid = format('%I.keywarden_get(text)', s)::regprocedure
          AND a.grantee <> p.proowner AND a.grantee <> 0 AND a.privilege_type = 'EXECUTE' LOOP
      EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s', f, g);
    END LOOP;
  END LOOP;
  EXECUTE format('ALTER FUNCTION %I.keywarden_schema_version() SET search_path = %I, pg_temp', s, s);
END
$kw$;

INSERT INTO keywarden_migrations (version, name) VALUES (4, 'usage') ON CONFLICT DO NOTHING;
