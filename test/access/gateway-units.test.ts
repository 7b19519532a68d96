/**
 * The gateway's pure parts: address classification, request-target parsing, token slots and the
 * echo scrubber (every form, every base64 alignment, every chunk split).
 */
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addressKind, guardedLookup, mayDial } from '../../src/access/gateway/address.js';
import { forwardedHeadersWithout, tokenFromSlot } from '../../src/access/gateway/headers.js';
import { maskAll, StreamScrubber, secretForms } from '../../src/access/gateway/scrub.js';
import { parseTarget, queryCarriesToken } from '../../src/access/gateway/target.js';

describe('addressKind', () => {
  it.each([
    ['127.0.0.1', 'private'],
    ['127.255.1.2', 'private'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['0.0.0.0', 'private'],
    ['169.254.169.254', 'link-local'],
    ['224.0.0.1', 'private'],
    ['255.255.255.255', 'private'],
    ['::1', 'private'],
    ['::', 'private'],
    ['::ffff:127.0.0.1', 'private'],
    ['::ffff:7f00:1', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['fd00:ec2::254', 'private'],
    ['fe80::1%eth0', 'link-local'],
    ['2002:7f00:1::', 'private'],
    ['8.8.8.8', 'public'],
    ['172.32.0.1', 'public'],
    ['2606:4700::1111', 'public'],
    ['::ffff:8.8.8.8', 'public'],
    ['not-an-ip', 'invalid'],
  ])('%s is %s', (address, kind) => {
    expect(addressKind(address)).toBe(kind);
  });

  it('dials link-local addresses only when the operator wrote that address', () => {
    expect(mayDial('169.254.169.254', { allowPrivateNetwork: true, literal: false })).toBe(false);
    expect(mayDial('169.254.169.254', { allowPrivateNetwork: true, literal: true })).toBe(true);
    expect(mayDial('127.0.0.1', { allowPrivateNetwork: false, literal: true })).toBe(false);
    expect(mayDial('8.8.8.8', { allowPrivateNetwork: false, literal: false })).toBe(true);
  });

  it('the guarded lookup hands the socket only checked addresses, or refuses', async () => {
    const resolve = async () => [
      { address: '10.0.0.1', family: 4 as const },
      { address: '93.184.216.34', family: 4 as const },
    ];
    const run = (allow: boolean, all: boolean) =>
      new Promise<unknown>((ok) =>
        guardedLookup(resolve, allow)('x.example', { all }, (err: unknown, a?: unknown) => ok(err ?? a)),
      );
    expect(await run(false, false)).toBe('93.184.216.34');
    expect(await run(false, true)).toEqual([{ address: '93.184.216.34', family: 4 }]);
    expect(await run(true, true)).toHaveLength(2);
    const only = async () => [{ address: '169.254.169.254', family: 4 as const }];
    const refused = await new Promise<unknown>((ok) =>
      guardedLookup(only, true)('meta.example', {}, (err: unknown) => ok(err)),
    );
    expect(refused).toMatchObject({ code: 'EKW_ADDRESS_REFUSED', kind: 'link-local' });
  });
});

describe('parseTarget', () => {
  it('routes /{toolId}/{path}?{query}', () => {
    expect(parseTarget('/openai/v1/chat/completions?a=1')).toEqual({
      toolId: 'openai',
      path: '/v1/chat/completions',
      search: '?a=1',
    });
    expect(parseTarget('/stripe')).toEqual({ toolId: 'stripe', path: '/', search: '' });
    expect(parseTarget('/gh/repos?path=a%2Fb')).toMatchObject({ search: '?path=a%2Fb' });
  });

  it.each([
    ['http://evil.example/x', 'absolute_form'],
    ['https://evil.example', 'absolute_form'],
    ['//evil.example/x', 'absolute_form'],
    ['evil.example:443', 'absolute_form'],
    ['*', 'bad_target'],
    ['/', 'bad_target'],
    ['/Bad Tool/x', 'bad_target'],
    ['/openai/v1/../admin', 'bad_path'],
    ['/openai/v1/%2e%2e/admin', 'bad_path'],
    ['/openai/v1/.%2E/admin', 'bad_path'],
    ['/openai/v1/./x', 'bad_path'],
    ['/openai/v1%2fadmin', 'bad_path'],
    ['/openai/v1%5cadmin', 'bad_path'],
    ['/openai/v1\\admin', 'bad_path'],
  ])('refuses %s (%s)', (url, why) => {
    expect(parseTarget(url)).toBe(why);
  });

  it('finds proxy tokens in a query, raw or encoded', () => {
    expect(queryCarriesToken('?key=kwp_abc', null)).toBe(true);
    expect(queryCarriesToken('?key=%6Bwp_abc', null)).toBe(true);
    expect(queryCarriesToken('?q=hello', 'kwp_x')).toBe(false);
    expect(queryCarriesToken('', 'kwp_x')).toBe(false);
  });
});

describe('token slots and forwarded headers', () => {
  it('reads the token from the slot of each auth type', () => {
    expect(tokenFromSlot({ authorization: 'Bearer kwp_1' }, { type: 'bearer' })).toBe('kwp_1');
    const basic = `Basic ${Buffer.from('kwp_2:').toString('base64')}`;
    expect(tokenFromSlot({ authorization: basic }, { type: 'basic' })).toBe('kwp_2');
    expect(tokenFromSlot({ authorization: 'Bearer kwp_3' }, { type: 'basic' })).toBe('kwp_3');
    expect(tokenFromSlot({ 'x-api-key': 'kwp_4' }, { type: 'header', name: 'X-Api-Key' })).toBe('kwp_4');
    expect(tokenFromSlot({ authorization: 'Bearer kwp_6' }, { type: 'header', name: 'x-api-key' })).toBe(
      'kwp_6',
    );
    const basic7 = `Basic ${Buffer.from('kwp_7:').toString('base64')}`;
    expect(tokenFromSlot({ authorization: basic7 }, { type: 'header', name: 'x-api-key' })).toBeNull();
    expect(tokenFromSlot({ authorization: 'Token kwp_5' }, { type: 'bearer' })).toBeNull();
    expect(tokenFromSlot({}, { type: 'bearer' })).toBeNull();
  });

  it('drops credentials, hop-by-hop, Connection-named, forwarding and override headers', () => {
    const out = forwardedHeadersWithout(
      {
        host: 'evil.example',
        authorization: 'Bearer kwp_1',
        cookie: 'a=b',
        'x-api-key': 'other',
        'proxy-authorization': 'x',
        connection: 'keep-alive, x-secret-hop',
        'x-secret-hop': '1',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        te: 'trailers',
        upgrade: 'websocket',
        'x-forwarded-host': 'evil.example',
        forwarded: 'host=evil.example',
        'x-http-method-override': 'DELETE',
        'accept-encoding': 'gzip',
        'content-type': 'application/json',
        'openai-beta': 'assistants=v2',
      },
      { type: 'bearer' },
      'kwp_1',
    );
    expect(out).toEqual({ 'content-type': 'application/json', 'openai-beta': 'assistants=v2' });
    expect(forwardedHeadersWithout({ 'x-note': 'see kwp_1' }, { type: 'bearer' }, 'kwp_1')).toBeNull();
    expect(forwardedHeadersWithout({ 'x-note': ['a', 'b'] }, { type: 'bearer' }, 'kwp_1')).toEqual({
      'x-note': ['a', 'b'],
    });
  });

  it('refuses (null) in the same pass when a forwarded header carries the token, not the slot or a dropped one', () => {
    const bearer = { type: 'bearer' } as const;
    const slotOnly = { authorization: 'Bearer kwp_1', cookie: 'kwp_1', 'content-type': 'text/plain' };
    expect(forwardedHeadersWithout(slotOnly, bearer, 'kwp_1')).toEqual({ 'content-type': 'text/plain' });
    expect(forwardedHeadersWithout({ ...slotOnly, 'x-note': 'see kwp_1' }, bearer, 'kwp_1')).toBeNull();
    expect(forwardedHeadersWithout({ 'x-list': ['a', 'x kwp_1'] }, bearer, 'kwp_1')).toBeNull();
    const header = { type: 'header', name: 'X-Api-Key' } as const;
    expect(
      forwardedHeadersWithout({ 'x-api-key': 'kwp_1', authorization: 'kwp_1' }, header, 'kwp_1'),
    ).toEqual({});
  });
});

describe('secret scrubbing', () => {
  const secret = 'sk-live_R3al/Secret+Value=42';

  function scrubbed(text: Buffer, chunkSizes: number[]): { out: Buffer; found: boolean } {
    const s = new StreamScrubber(secretForms(secret));
    const parts: Buffer[] = [];
    let at = 0;
    for (let i = 0; at < text.length; i++) {
      const n = Math.max(1, chunkSizes[i % chunkSizes.length] ?? 1);
      parts.push(Buffer.from(s.push(Buffer.from(text.subarray(at, at + n)))));
      at += n;
    }
    parts.push(s.flush());
    return { out: Buffer.concat(parts), found: s.found };
  }

  const echoes = (): string[] => {
    const list = [
      secret,
      encodeURIComponent(secret),
      encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
      JSON.stringify({ k: secret }),
      Buffer.from(secret).toString('hex'),
    ];
    for (const prefix of ['', 'a', 'ab', 'abc', 'Basic:']) {
      const b64 = Buffer.from(`${prefix}${secret}:`).toString('base64');
      list.push(b64, b64.replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, ''));
    }
    return list;
  };

  it('masks every echo form at every base64 alignment, in one chunk', () => {
    for (const echo of echoes()) {
      const { out, found } = scrubbed(Buffer.from(`before ${echo} after`), [1 << 20]);
      expect(found).toBe(true);
      const text = out.toString();
      expect(text.startsWith('before ')).toBe(true);
      expect(text.length).toBe(`before ${echo} after`.length); // same length: content-length stays true
      expect(text).not.toContain(secret);
      expect(Buffer.from(text.replace(/[^A-Za-z0-9+/]/g, ''), 'base64').toString('latin1')).not.toContain(
        secret,
      );
    }
  });

  it('masks echoes split across any chunk boundaries', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...echoes()),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 8 }),
        fc.string({ maxLength: 20 }),
        (echo, sizes, pad) => {
          const input = Buffer.from(`${pad}${echo}${pad}`);
          const { out, found } = scrubbed(input, sizes);
          expect(found).toBe(true);
          expect(out.length).toBe(input.length);
          expect(out.toString()).not.toContain(secret);
          expect(out.toString()).not.toContain(encodeURIComponent(secret));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('streams to the same bytes as masking the whole text at once, for one, two or many forms', () => {
    const lists = [
      [Buffer.from('kwp_tok')],
      [Buffer.from('kwp_tok'), Buffer.from('xyz')],
      secretForms('ab/c'),
    ];
    // texts made of whole forms, prefixes of forms and stray bytes, so forms straddle chunk boundaries
    const pieces = lists.flat().flatMap((f) => {
      const t = f.toString();
      return [t, t.slice(0, 1), t.slice(0, Math.ceil(t.length / 2)), t.slice(0, -1)];
    });
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...pieces), fc.constantFrom('a', 'k', '_', 'Y', '%', '*')), {
          maxLength: 20,
        }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 6 }),
        fc.constantFrom(0, 1, 2),
        (texts, sizes, which) => {
          const forms = lists[which] as Buffer[];
          const text = Buffer.from(texts.join(''));
          const whole = Buffer.from(text);
          const found = maskAll(whole, forms);
          const s = new StreamScrubber(forms);
          const parts: Buffer[] = [];
          for (let at = 0, i = 0; at < text.length; i++) {
            const n = sizes[i % sizes.length] as number;
            parts.push(Buffer.from(s.push(Buffer.from(text.subarray(at, at + n)))));
            at += n;
          }
          parts.push(s.flush());
          expect(Buffer.concat(parts).toString()).toBe(whole.toString());
          expect(s.found).toBe(found);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('passes other bytes unchanged and holds back only what could start a form', () => {
    const s = new StreamScrubber(secretForms(secret));
    expect(s.push(Buffer.from('data: {"x":1}\n\n')).toString()).toBe('data: {"x":1}\n\n');
    expect(s.push(Buffer.from('tail sk-li')).toString()).toBe('tail ');
    expect(s.flush().toString()).toBe('sk-li');
    expect(s.found).toBe(false);
    const plain = Buffer.from('nothing to see');
    expect(maskAll(plain, secretForms(secret))).toBe(false);
  });
});
