/**
 * Test support: raw PostgREST requests as an attacker would send them (no supabase-js, no
 * keywarden), and SQL statements run as a Supabase role with `request.jwt.claims` set the way
 * PostgREST sets them.
 * @module
 */
import type postgres from 'postgres';

/** The outcome of one request: HTTP status, PostgREST error code (the SQLSTATE) and body. */
export interface RestOutcome {
  status: number;
  code: string | null;
  body: unknown;
}

/**
 * Sends one request to PostgREST behind the harness gateway (`/rest/v1/...`) with `jwt` as both
 * the API key and the bearer token, on `schema` (Accept-/Content-Profile).
 *
 * @example
 * ```ts
 * const r = await rest(url, jwt, schema, 'PATCH', '/keywarden_records?id=eq.x', { record });
 * ```
 * @throws when the server cannot be reached.
 */
export async function rest(
  baseUrl: string,
  jwt: string,
  schema: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<RestOutcome> {
  const res = await fetch(`${baseUrl}/rest/v1${path}`, {
    method,
    headers: {
      apikey: jwt,
      authorization: `Bearer ${jwt}`,
      'accept-profile': schema,
      'content-profile': schema,
      'content-type': 'application/json',
      prefer: 'return=representation',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON
  }
  const code =
    typeof parsed === 'object' && parsed !== null && typeof (parsed as { code?: unknown }).code === 'string'
      ? (parsed as { code: string }).code
      : null;
  return { status: res.status, code, body: parsed };
}

/**
 * Runs `statement` in a transaction as `role` with `request.jwt.claims` = `claims` (transaction
 * scoped, as PostgREST does), rolled back at the end. Resolves with the SQLSTATE it failed with,
 * or `'ok'` (and the rows) when it succeeded.
 *
 * @example
 * ```ts
 * const r = await asRole(pg.sql, 'authenticated', { role: 'authenticated', tenant_id: 'A' }, 'update ...');
 * ```
 * @throws never for SQL errors (they are the result).
 */
export async function asRole(
  sql: postgres.Sql,
  role: string,
  claims: Record<string, unknown> | null,
  statement: string,
  params: unknown[] = [],
): Promise<{ code: string; rows: readonly Record<string, unknown>[] }> {
  const rollback = new Error('rollback');
  let result: { code: string; rows: readonly Record<string, unknown>[] } = { code: 'ok', rows: [] };
  try {
    await sql.begin(async (tx) => {
      await tx.unsafe(`select set_config('role', $1, true)`, [role]);
      if (claims)
        await tx.unsafe(`select set_config('request.jwt.claims', $1, true)`, [JSON.stringify(claims)]);
      try {
        result = { code: 'ok', rows: await tx.unsafe(statement, params as never[]) };
      } catch (error) {
        result = { code: String((error as { code?: unknown }).code ?? 'unknown'), rows: [] };
      }
      throw rollback;
    });
  } catch (error) {
    if (error !== rollback) throw error;
  }
  return result;
}
