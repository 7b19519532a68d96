/**
 * Which addresses the gateway may dial, and the DNS lookup that enforces it on the address
 * actually dialed: the socket connects to the address this lookup checked, never to a second
 * resolution of the name (no DNS-rebinding window).
 * @module
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';

/** One resolved address. */
export interface ResolvedAddress {
  /** The IP address, e.g. `'127.0.0.1'` or `'::1'`. */
  address: string;
  /** IP version of `address`. */
  family: 4 | 6;
}

/**
 * Resolves a host name to its addresses. The default is the system resolver
 * (`dns.lookup(name, { all: true })`); tests pass their own to make a name resolve to a private
 * address without a DNS server.
 */
export type GatewayLookup = (hostname: string) => Promise<ResolvedAddress[]>;

/**
 * The system resolver, as a {@link GatewayLookup}.
 *
 * @example
 * ```ts
 * await systemLookup('localhost'); // [{ address: '127.0.0.1', family: 4 }, ...]
 * ```
 * @throws the resolver's error (`ENOTFOUND`...) as a rejection.
 */
export const systemLookup: GatewayLookup = async (hostname) => {
  const found = await dnsLookup(hostname, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/** What kind of network an address belongs to. `public` is the only kind dialed without opt-in. */
export type AddressKind = 'public' | 'private' | 'link-local' | 'invalid';

type Range = readonly [prefix: readonly number[], bits: number, kind: Exclude<AddressKind, 'public'>];

// IPv4 ranges that are not the public internet (RFC 6890 and friends).
const V4: readonly Range[] = [
  [[0], 8, 'private'], // "this network"
  [[10], 8, 'private'],
  [[100, 64], 10, 'private'], // carrier-grade NAT
  [[127], 8, 'private'], // loopback
  [[169, 254], 16, 'link-local'], // includes the cloud metadata address 169.254.169.254
  [[172, 16], 12, 'private'],
  [[192, 0, 0], 24, 'private'],
  [[192, 0, 2], 24, 'private'],
  [[192, 88, 99], 24, 'private'],
  [[192, 168], 16, 'private'],
  [[198, 18], 15, 'private'],
  [[198, 51, 100], 24, 'private'],
  [[203, 0, 113], 24, 'private'],
  [[224], 4, 'private'], // multicast
  [[240], 4, 'private'], // reserved and broadcast
];

// IPv6 ranges (as byte prefixes). Mapped, translated and compatible forms are checked as IPv4.
const V6: readonly Range[] = [
  [[0x01, 0x00, 0, 0, 0, 0, 0, 0], 64, 'private'], // discard
  [[0x20, 0x01, 0x0d, 0xb8], 32, 'private'], // documentation
  [[0x20, 0x01, 0, 0], 32, 'private'], // Teredo (tunnels to arbitrary IPv4)
  [[0x20, 0x02], 16, 'private'], // 6to4 (embeds an IPv4 address)
  [[0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48, 'private'], // local-use NAT64
  [[0xfc], 7, 'private'], // unique local (fd00:ec2::254 is a metadata address)
  [[0xfe, 0x80], 10, 'link-local'],
  [[0xfe, 0xc0], 10, 'private'], // site-local (deprecated)
  [[0xff], 8, 'private'], // multicast
];

function inRange(bytes: Uint8Array, prefix: readonly number[], bits: number): boolean {
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((bytes[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false;
  }
  return true;
}

function parseV4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    out[i] = Number(p);
  }
  return out;
}

function parseV6(text: string): Uint8Array | null {
  const zone = text.indexOf('%');
  let s = zone === -1 ? text : text.slice(0, zone);
  const out = new Uint8Array(16);
  let tail: Uint8Array | null = null;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    tail = parseV4(s.slice(lastColon + 1));
    if (tail === null) return null;
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' ? [] : (halves[0] as string).split(':');
  const rest = halves.length === 2 ? (halves[1] === '' ? [] : (halves[1] as string).split(':')) : [];
  const groups = halves.length === 2 ? 8 - head.length - rest.length : 0;
  if (halves.length === 1 ? head.length !== 8 : groups < 1) return null;
  const all = [...head, ...Array<string>(groups).fill('0'), ...rest];
  for (let i = 0; i < 8; i++) {
    const g = all[i] as string;
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return null;
    const v = Number.parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  }
  if (tail !== null) out.set(tail, 12);
  return out;
}

function kindOfV4(b: Uint8Array): AddressKind {
  for (const [prefix, bits, kind] of V4) if (inRange(b, prefix, bits)) return kind;
  return 'public';
}

/**
 * Classifies an IP address. IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`) and
 * NAT64 (`64:ff9b::a.b.c.d`) IPv6 addresses are judged by the IPv4 address they carry.
 *
 * @example
 * ```ts
 * addressKind('169.254.169.254'); // 'link-local'
 * addressKind('::ffff:127.0.0.1'); // 'private'
 * addressKind('93.184.216.34');    // 'public'
 * ```
 * @throws never
 */
export function addressKind(address: string): AddressKind {
  const family = isIP(address);
  if (family === 4) {
    const b = parseV4(address);
    return b === null ? 'invalid' : kindOfV4(b);
  }
  if (family !== 6) return 'invalid';
  const b = parseV6(address);
  if (b === null) return 'invalid';
  const zeros10 = b.subarray(0, 10).every((x) => x === 0);
  if (zeros10 && b[10] === 0xff && b[11] === 0xff) return kindOfV4(b.subarray(12)); // mapped
  if (zeros10 && b[10] === 0 && b[11] === 0) {
    // ::, ::1 and the deprecated IPv4-compatible form
    return b.subarray(12).every((x) => x === 0) || (b[15] === 1 && b[12] === 0)
      ? 'private'
      : kindOfV4(b.subarray(12));
  }
  if (inRange(b, [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96)) return kindOfV4(b.subarray(12)); // NAT64
  for (const [prefix, bits, kind] of V6) if (inRange(b, prefix, bits)) return kind;
  return 'public';
}

/**
 * Why a dial was refused; the gateway answers 502 `ADDRESS_REFUSED` and reports a violation.
 * Internal to the dial path (it never reaches a caller of the public API).
 *
 * @example
 * ```ts
 * req.on('error', (e) => { if (e instanceof AddressRefusedError) refuse(res, 502, 'ADDRESS_REFUSED'); });
 * ```
 */
export class AddressRefusedError extends Error {
  readonly code = 'EKW_ADDRESS_REFUSED';
  /** @param kind - the kind of the first address refused. @throws never */
  constructor(readonly kind: AddressKind) {
    super(`upstream address refused (${kind})`);
    this.name = 'AddressRefusedError';
  }
}

/**
 * Whether the gateway may dial `address` for a tool. Public addresses always; private and
 * loopback ones only with `allowPrivateNetwork`; link-local ones (the cloud metadata service)
 * only when the operator wrote that very address as the origin (`literal`), never through a name.
 *
 * @example
 * ```ts
 * mayDial('10.0.0.5', { allowPrivateNetwork: true, literal: false }); // true
 * mayDial('169.254.169.254', { allowPrivateNetwork: true, literal: false }); // false
 * ```
 * @throws never
 */
export function mayDial(address: string, rule: { allowPrivateNetwork: boolean; literal: boolean }): boolean {
  const kind = addressKind(address);
  if (kind === 'public') return true;
  if (kind === 'private') return rule.allowPrivateNetwork;
  if (kind === 'link-local') return rule.allowPrivateNetwork && rule.literal;
  return false;
}

/**
 * A `net.connect` lookup that resolves through `resolve`, keeps only the addresses the tool may
 * dial, and hands exactly those to the socket. When none is left the dial fails with
 * {@link AddressRefusedError}.
 *
 * @example
 * ```ts
 * import { request } from 'node:http';
 * request({ host: 'api.example.com', lookup: guardedLookup(systemLookup, false) });
 * ```
 * @throws never (errors go to the callback)
 */
export function guardedLookup(resolve: GatewayLookup, allowPrivateNetwork: boolean): LookupFunction {
  return (hostname, options, callback) => {
    const family = typeof options === 'object' && options !== null ? Number(options.family ?? 0) : 0;
    const wantAll = typeof options === 'object' && options !== null && options.all === true;
    resolve(hostname).then(
      (found) => {
        const usable = found.filter(
          (a) =>
            (family === 0 || a.family === family) &&
            mayDial(a.address, { allowPrivateNetwork, literal: false }),
        );
        const first = usable[0];
        if (first === undefined) {
          const kinds = found.map((a) => addressKind(a.address));
          const err = new AddressRefusedError(kinds.find((k) => k !== 'public') ?? 'invalid');
          (callback as (e: Error) => void)(err);
          return;
        }
        if (wantAll) (callback as (e: null, a: ResolvedAddress[]) => void)(null, usable);
        else (callback as (e: null, a: string, f: number) => void)(null, first.address, first.family);
      },
      (err: unknown) =>
        (callback as (e: Error) => void)(err instanceof Error ? err : new Error('lookup failed')),
    );
  };
}
