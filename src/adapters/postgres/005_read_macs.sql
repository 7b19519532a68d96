-- keywarden migration 5: keywarden_read_macs, the stored MAC of several records in one read.
--
-- Agent access reuses the session, tool and secret records it already read and checked while their
-- stored MACs are unchanged (every write by keywarden seals a fresh MAC), so a proxied call costs
-- this one small read instead of three record reads. It answers, for each id of p_ids (a json array
-- of strings) in order, the record's `mac` member, or null when there is no such record (or it has
-- no MAC). Like keywarden_get it runs as the caller (row-level security applies: a tenant role sees
-- only its tenant's records, the others are null) and is callable by the roles that may call
-- keywarden_get.

CREATE OR REPLACE FUNCTION keywarden_read_macs(p_ids json) RETURNS json
LANGUAGE plpgsql STABLE AS $$
BEGIN
  IF p_ids IS NULL OR json_typeof(p_ids) <> 'array' THEN
    RAISE EXCEPTION USING ERRCODE = 'KW422', MESSAGE = 'keywarden: ids must be an array';
  END IF;
  IF json_array_length(p_ids) > 100 THEN
    RAISE EXCEPTION USING ERRCODE = 'KW422', MESSAGE = 'keywarden: at most 100 ids';
  END IF;
  RETURN (
    SELECT coalesce(json_agg(m.mac ORDER BY i.n), '[]'::json)
    FROM json_array_elements(p_ids) WITH ORDINALITY AS i(id, n)
    LEFT JOIN LATERAL (
      SELECT CASE WHEN json_typeof(r.record -> 'mac') = 'string' THEN r.record ->> 'mac' END AS mac
      FROM keywarden_records r
      WHERE json_typeof(i.id) = 'string' AND r.id = i.id #>> '{}'
    ) m ON true
  );
END $$;

CREATE OR REPLACE FUNCTION keywarden_schema_version() RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT 5 $$;

-- Privileges, as keywarden_get has them: the caller's rights (row-level security), a pinned
-- search_path, never PUBLIC, EXECUTE for every role that may call keywarden_get.
DO $kw$
DECLARE
  s text := current_schema();
  f regprocedure := format('%I.keywarden_read_macs(json)', current_schema())::regprocedure;
  g regrole;
BEGIN
  EXECUTE format('ALTER FUNCTION %s SET search_path = %I, pg_temp', f, s);
  EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
  FOR g IN SELECT a.grantee::regrole FROM pg_proc p, aclexplode(p.proacl) a
      WHERE p.oid = format('%I.keywarden_get(text)', s)::regprocedure
        AND a.grantee <> p.proowner AND a.grantee <> 0 AND a.privilege_type = 'EXECUTE' LOOP
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s', f, g);
  END LOOP;
  EXECUTE format('ALTER FUNCTION %I.keywarden_schema_version() SET search_path = %I, pg_temp', s, s);
END
$kw$;

INSERT INTO keywarden_migrations (version, name) VALUES (5, 'read_macs') ON CONFLICT DO NOTHING;
