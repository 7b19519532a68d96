/**
 * `createSecurityMonitor`: rules over the verify path and access violations that raise
 * `security.*` notifier events and audit rows, with an optional action (disable the key, revoke
 * the proxy session).
 *
 * - `failedVerifies`: refused verifications of one key (its record found: wrong secret for its
 *   id, revoked, expired, out of scope...) reach `threshold` within a sliding `window`;
 * - `ipFailures`: refused verifications from one IP address (any, also malformed tokens and
 *   unknown ids) reach `threshold` within `window`; reported by network (/24, /64);
 * - `newNetwork`: a key is used successfully from a network (/24 or /64) it was not used from
 *   before in this process (the first network a process sees for a key is its baseline);
 * - `usageSpike`: a key's valid uses in one window reach `factor` times its own baseline (an
 *   exponentially weighted average of its earlier windows) and at least `minimum`;
 * - `violations`: `access.violation` events of one proxy session reach `threshold` within `window`;
 *   with `action: 'revoke'` the session is revoked through the revoker `keywarden/access` registers
 *   ({@link SecurityMonitor.setSessionRevoker}: the core never imports the access capability).
 *
 * Memory is bounded: every structure holds at most `maxTracked` subjects (least recently touched
 * dropped first). Nothing is written to storage per request: only when a rule fires (once per
 * window and subject), an audit row (and the key update, for `action: 'disable'`).
 * Portable: no node:*.
 * @internal
 * @module
 */
import { describeError } from '../internal/log.js';
import { networkOf, WindowCounters } from '../internal/window-counters.js';
import type { JsonObject } from '../ports/json.js';
import type { KeyEvent, KeyEventBase } from '../ports/notifier.js';
import type { StoredRecord } from '../ports/storage.js';
import type { StoreContext } from './context.js';
import { eventBase } from './record.js';
import { mutateRecord } from './write.js';

/** What a key rule may do besides reporting. */
export type MonitorAction = 'none' | 'disable';

/**
 * What the proxy-session rule (`violations`) may do besides reporting.
 * @example
 * ```ts
 * const action: SessionMonitorAction = 'revoke';
 * ```
 */
export type SessionMonitorAction = 'none' | 'revoke';

/** A counting rule: `threshold` events within `window` ms. */
export interface ResolvedCountRule<A extends string = MonitorAction> {
  threshold: number;
  windowMs: number;
  action: A;
}

/**
 * Revokes the active proxy session `sessionId` (its own audited transition); resolves true when
 * this call ended it, false when it was not found or had already ended. Registered by
 * `keywarden/access`; may reject (storage, audit), which the monitor logs.
 * @example
 * ```ts
 * const revoke: SessionRevoker = async (sessionId) =>
 *   (await access.sessions.revoke(sessionId, { reason: 'security-monitor' })).status === 'revoked';
 * ```
 */
export type SessionRevoker = (sessionId: string) => Promise<boolean>;

/** Options after defaults (the manager validates and resolves `monitor`). */
export interface ResolvedMonitorOptions {
  failedVerifies: ResolvedCountRule | null;
  ipFailures: ResolvedCountRule | null;
  newNetwork: { action: MonitorAction } | null;
  usageSpike: { factor: number; minimum: number; windowMs: number; action: MonitorAction } | null;
  violations: ResolvedCountRule<SessionMonitorAction> | null;
  maxTracked: number;
}

/** The hooks the verify path and the notifier call. Every method is cheap and never throws. */
export interface SecurityMonitor {
  /** A verification that found `record`: valid or refused, from `ip` (when the caller gave one). */
  verified(record: StoredRecord, valid: boolean, ip: string | undefined, now: number): void;
  /** A verification refused before any record was found (malformed token, unknown id). */
  refused(ip: string | undefined, now: number): void;
  /**
   * An `access.violation` (written or throttled; other event types are ignored). Resolves once the
   * rule's action is done when this violation crossed the threshold with `action: 'revoke'` (so
   * the caller answers only after the session is revoked), at once otherwise.
   * @example
   * ```ts
   * declare const violation: KeyEvent; // an `access.violation` event
   * await ctx.monitor?.violation(violation); // before answering the refused call
   * ```
   * @throws never (rejects never either)
   */
  violation(event: KeyEvent): Promise<void>;
  /**
   * Registers how sessions of `tenantId` are revoked (called by `agentAccess`). The first
   * registration of a tenant is kept for the manager's life: every access object of one tenant on
   * one manager revokes the same way, so memory is one entry per tenant.
   * @example
   * ```ts
   * ctx.monitor?.setSessionRevoker(null, monitorRevoker(a));
   * ```
   * @throws never
   */
  setSessionRevoker(tenantId: string | null, revoke: SessionRevoker): void;
}

type SecurityType = Extract<KeyEvent['type'], `security.${string}`>;

const DONE: Promise<void> = Promise.resolve();

/** What the monitor keeps per key about its valid uses (one map entry: one lookup per verify). */
interface KeyState {
  /** Spike rule: start of the current window, uses in it, the baseline, windows seen, next alert. */
  start: number;
  cur: number;
  base: number;
  windows: number;
  quietUntil: number;
  /** New-network rule: the last address seen (its network is known) and the networks seen. */
  lastIp: string | undefined;
  networks: Set<string> | null;
}

/**
 * Creates the monitor of one manager.
 *
 * @example
 * ```ts
 * declare const resolved: ResolvedMonitorOptions;
 * const monitor = createSecurityMonitor(ctx, resolved);
 * monitor.verified(record, false, '203.0.113.7', now);
 * ```
 * @throws never
 */
export function createSecurityMonitor(ctx: StoreContext, o: ResolvedMonitorOptions): SecurityMonitor {
  const perKey = o.failedVerifies ? new WindowCounters(o.failedVerifies.windowMs, o.maxTracked) : null;
  const perIp = o.ipFailures ? new WindowCounters(o.ipFailures.windowMs, o.maxTracked) : null;
  const perSession = o.violations ? new WindowCounters(o.violations.windowMs, o.maxTracked) : null;
  /** key id -> what the valid-use rules keep (at most `maxTracked` keys, oldest dropped first) */
  const keys = new Map<string, KeyState>();
  /** network -> the last key id tried from it */
  const lastKeyOf = new Map<string, string>();
  /** tenant -> how its sessions are revoked (the first registration of the tenant) */
  const revokers = new Map<string | null, SessionRevoker>();

  const touch = <V>(map: Map<string, V>, key: string, value: V): void => {
    map.delete(key);
    if (map.size >= o.maxTracked) {
      const oldest = map.keys().next();
      if (!oldest.done) map.delete(oldest.value);
    }
    map.set(key, value);
  };

  const fire = (
    type: SecurityType,
    base: KeyEventBase,
    record: StoredRecord | null,
    fields: { count: number; windowMs: number; network: string | null; sessionId: string | null },
    action: MonitorAction | 'revoked',
  ): Promise<void> => {
    const rule = type.slice('security.'.length);
    const disable = action === 'disable' && record !== null && record.status === 'active';
    const done = disable ? 'disabled' : action === 'revoked' ? 'revoked' : 'none';
    ctx.telemetry?.securityEvent(rule);
    ctx.notify({ ...base, type, rule, ...fields, action: done } as KeyEvent);
    const data: JsonObject = { rule, ...fields, action: done };
    const draft = {
      type,
      recordId: record?.id ?? null,
      kind: record?.kind ?? null,
      tenantId: record?.tenantId ?? null,
      actor: 'keywarden:monitor',
      data,
    };
    const write = async (): Promise<void> => {
      if (disable) {
        const { changed } = await mutateRecord(
          ctx,
          record.id,
          record.kind,
          (cur) =>
            cur.status === 'active'
              ? { next: { ...cur, status: 'disabled' }, result: undefined }
              : { next: null, result: undefined },
          { audit: () => draft },
        );
        if (changed) return;
      }
      await ctx.audit(draft);
    };
    return write().catch((error: unknown) =>
      ctx.log?.error('security monitor: the alert could not be recorded', {
        rule,
        recordId: record?.id ?? null,
        error: describeError(error),
      }),
    );
  };

  /** Runs the revoker of the session's tenant (errors logged: the alert is raised either way). */
  const revokeSession = async (tenantId: string | null, sessionId: string): Promise<boolean> => {
    const r = revokers.get(tenantId);
    if (r === undefined) {
      ctx.log?.warn('security monitor: no agentAccess of this tenant to revoke the session', {
        rule: 'violations',
        sessionId,
      });
      return false;
    }
    try {
      return await r(sessionId);
    } catch (error) {
      ctx.log?.error('security monitor: the session could not be revoked', {
        rule: 'violations',
        sessionId,
        error: describeError(error),
      });
      return false;
    }
  };

  const ipFailed = (ip: string | undefined, now: number, keyId: string | null): void => {
    if (perIp === null || o.ipFailures === null || ip === undefined) return;
    const network = networkOf(ip);
    if (network === null) return;
    if (keyId !== null) touch(lastKeyOf, network, keyId);
    const count = perIp.add(network, now);
    if (count < o.ipFailures.threshold || !perIp.alert(network, now)) return;
    const base: KeyEventBase = {
      at: now,
      recordId: lastKeyOf.get(network) ?? '',
      keyId: lastKeyOf.get(network) ?? '',
      kind: 'api_key',
      name: '',
      tenantId: null,
      environment: '',
    };
    void fire(
      'security.ip_failures',
      base,
      null,
      { count: Math.round(count), windowMs: perIp.windowMs, network, sessionId: null },
      'none',
    );
  };

  /** The state of a key, created (dropping the oldest beyond `maxTracked`) on first use. */
  const stateOf = (id: string, now: number): KeyState => {
    let k = keys.get(id);
    if (k === undefined) {
      if (keys.size >= o.maxTracked) {
        const oldest = keys.keys().next();
        if (!oldest.done) keys.delete(oldest.value);
      }
      const w = o.usageSpike?.windowMs ?? 60_000;
      k = {
        start: Math.floor(now / w) * w,
        cur: 0,
        base: 0,
        windows: 0,
        quietUntil: 0,
        lastIp: undefined,
        networks: null,
      };
      keys.set(id, k);
    }
    return k;
  };

  const spike = (record: StoredRecord, r: KeyState, now: number): void => {
    const rule = o.usageSpike;
    if (rule === null) return;
    const w = rule.windowMs;
    if (now >= r.start + w) {
      // fold the finished window (and the empty ones after it) into the baseline
      const start = Math.floor(now / w) * w;
      const skipped = Math.min(64, Math.max(0, (start - r.start) / w - 1));
      r.base = r.windows === 0 ? r.cur : 0.8 * r.base + 0.2 * r.cur;
      r.base *= 0.8 ** skipped;
      r.windows += 1 + skipped;
      r.cur = 0;
      r.start = start;
    }
    r.cur++;
    if (r.windows < 3 || r.cur < rule.minimum || r.cur < rule.factor * Math.max(r.base, 1)) return;
    if (now < r.quietUntil) return;
    r.quietUntil = r.start + w;
    void fire(
      'security.usage_spike',
      eventBase(record, now),
      record,
      { count: r.cur, windowMs: w, network: null, sessionId: null },
      rule.action,
    );
  };

  const newNetwork = (record: StoredRecord, k: KeyState, ip: string | undefined, now: number): void => {
    if (o.newNetwork === null || ip === undefined || ip === k.lastIp) return;
    const network = networkOf(ip);
    if (network === null) return;
    k.lastIp = ip;
    if (k.networks === null) {
      k.networks = new Set([network]); // the baseline of this process
      return;
    }
    if (k.networks.has(network)) return;
    if (k.networks.size < 32) k.networks.add(network);
    void fire(
      'security.new_network',
      eventBase(record, now),
      record,
      { count: 1, windowMs: 0, network, sessionId: null },
      o.newNetwork.action,
    );
  };

  const failed = (error: unknown): void => {
    ctx.log?.error('security monitor failed', { error: describeError(error) });
  };

  const guard =
    <A extends unknown[]>(f: (...args: A) => void) =>
    (...args: A): void => {
      try {
        f(...args);
      } catch (error) {
        failed(error);
      }
    };

  /** A refused verification of a found record: the per-key and per-network burst rules. */
  const failedUse = (record: StoredRecord, ip: string | undefined, now: number): void => {
    ipFailed(ip, now, record.id);
    const rule = o.failedVerifies;
    if (perKey === null || rule === null) return;
    const count = perKey.add(record.id, now);
    if (count < rule.threshold || !perKey.alert(record.id, now)) return;
    void fire(
      'security.verify_failures',
      eventBase(record, now),
      record,
      {
        count: Math.round(count),
        windowMs: rule.windowMs,
        network: ip === undefined ? null : networkOf(ip),
        sessionId: null,
      },
      rule.action,
    );
  };

  return Object.freeze({
    // written out (not through `guard`): the valid path runs on every verification, and guard's
    // rest parameters allocate an array per call
    verified(record: StoredRecord, valid: boolean, ip: string | undefined, now: number): void {
      try {
        if (valid) {
          if (o.usageSpike === null && o.newNetwork === null) return;
          const k = stateOf(record.id, now);
          spike(record, k, now);
          newNetwork(record, k, ip, now);
        } else failedUse(record, ip, now);
      } catch (error) {
        failed(error);
      }
    },
    refused: guard((ip: string | undefined, now: number) => ipFailed(ip, now, null)),
    violation(event: KeyEvent): Promise<void> {
      try {
        const rule = o.violations;
        if (event.type !== 'access.violation' || perSession === null || rule === null) return DONE;
        const sessionId = event.sessionId;
        if (sessionId === null) return DONE;
        // counted per tenant: another tenant's access object naming this session id (reportViolation
        // loads no session there) must not bring this tenant's session closer to a revocation
        const counted = JSON.stringify([event.tenantId, sessionId]);
        const count = perSession.add(counted, event.at);
        if (count < rule.threshold || !perSession.alert(counted, event.at)) return DONE;
        const base: KeyEventBase = {
          at: event.at,
          recordId: event.keyId,
          keyId: event.keyId,
          kind: event.kind,
          name: event.name,
          tenantId: event.tenantId,
          environment: event.environment,
        };
        const fields = { count: Math.round(count), windowMs: rule.windowMs, network: null, sessionId };
        if (rule.action === 'none') {
          void fire('security.violations', base, null, fields, 'none');
          return DONE;
        }
        return revokeSession(event.tenantId, sessionId)
          .then((revoked) => fire('security.violations', base, null, fields, revoked ? 'revoked' : 'none'))
          .catch((error: unknown) =>
            ctx.log?.error('security monitor failed', { error: describeError(error) }),
          );
      } catch (error) {
        failed(error);
        return DONE;
      }
    },
    setSessionRevoker(tenantId: string | null, revoke: SessionRevoker): void {
      if (!revokers.has(tenantId)) revokers.set(tenantId, revoke);
    },
  });
}
