/**
 * Deterministic content for the file adapter's crash and concurrency tests: the child process and
 * the test derive the exact same record, event and metadata from a few numbers, so the child only
 * reports small operation descriptions on stdout.
 */
import { createHash } from 'node:crypto';
import { auditDigest, chainHash, GENESIS_HASH } from '../../src/internal/audit-chain.js';
import type { AuditEvent, AuditEventInput, StoredRecord } from '../../src/ports/storage.js';

/** Payload sizes by variant: small, medium, large (several pages). */
const SIZES = [8, 300, 3000, 12000];

/** What a child reports before (`I`) and after (`A`) each write. */
export type CrashOp =
  | { op: 'create'; id: string; v: number }
  | { op: 'update'; id: string; rev: number; v: number }
  | { op: 'delete'; id: string }
  | { op: 'audit'; ids: string[] }
  | { op: 'meta'; k: string; val: string };

function filler(seed: string, length: number): string {
  let out = '';
  let h = seed;
  while (out.length < length) {
    h = createHash('sha256').update(h).digest('base64url');
    out += h;
  }
  return out.slice(0, length);
}

/** The record with this id at this revision and payload variant. */
export function crashRecord(id: string, rev: number, v: number): StoredRecord {
  const size = SIZES[v % SIZES.length] as number;
  return {
    id,
    kind: 'secret',
    name: `name-${id}`,
    uniqueName: true,
    tenantId: null,
    environment: 'default',
    ownerId: null,
    status: 'active',
    revision: rev,
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000 + rev,
    expiresAt: null,
    dueAt: rev % 3 === 0 ? 1_700_000_000_000 + rev : null,
    tags: [`v${v}`],
    provider: null,
    data: { rev, v, blob: filler(`${id}:${rev}:${v}`, size), unicode: 'ключ🔑' },
    meta: {},
    rotation: null,
    versions: [],
  };
}

/** The audit event input with this id. */
export function crashEvent(id: string): AuditEventInput {
  const body = {
    id,
    at: 1_700_000_000_000,
    type: 'key.used' as const,
    keyId: id.split('-')[0] ?? null,
    kind: null,
    version: null,
    tenantId: null,
    actor: 'crash-test',
    context: {},
    data: { id },
  };
  return { ...body, digest: auditDigest(body) };
}

/** Checks a whole audit listing is one valid chain; returns the first problem or null. */
export function chainProblem(events: readonly AuditEvent[]): string | null {
  let prev = GENESIS_HASH;
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as AuditEvent;
    if (e.seq !== i + 1) return `seq ${e.seq} at position ${i}`;
    if (e.prevHash !== prev) return `prevHash of seq ${e.seq}`;
    const { seq: _s, prevHash: _p, hash: _h, digest, ...body } = e;
    if (auditDigest(body) !== digest) return `digest of seq ${e.seq}`;
    if (chainHash(prev, e.seq, digest) !== e.hash) return `hash of seq ${e.seq}`;
    prev = e.hash;
  }
  return null;
}
