/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), table-driven, over the characters of an
 * ASCII string. The token checksum: detects every single-character error and every burst of up
 * to 32 bits. An error-detecting code, not a MAC: it offers no security against forgery.
 * @module
 */
import { validationError } from '../errors.js';

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/**
 * CRC-32 of `text[start..end)`, each UTF-16 code unit taken as one byte. The caller guarantees
 * the range is ASCII (the token checker validates the alphabet first). No allocation.
 * @internal
 * @example
 * ```ts
 * crc32AsciiRange('a123456789', 1, 10); // 0xcbf43926
 * ```
 * @throws never
 */
export function crc32AsciiRange(text: string, start: number, end: number): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) {
    crc = (TABLE[(crc ^ text.charCodeAt(i)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * CRC-32 (IEEE) of an ASCII string, as an unsigned 32-bit integer. Equals the CRC-32 of the
 * string's bytes (ASCII bytes are their UTF-8 bytes), as computed by zlib, `gzip`, PNG.
 *
 * @param text - an ASCII string (code units 0–127)
 * @example
 * ```ts
 * crc32Ascii('123456789'); // 0xcbf43926
 * ```
 * @throws KeywardenError `ERR_VALIDATION` (field `text`) when `text` is not a string or holds a
 *   non-ASCII character.
 */
export function crc32Ascii(text: string): number {
  if (typeof text !== 'string') throw validationError('text', 'must be a string');
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 127) throw validationError('text', 'must be ASCII');
  }
  return crc32AsciiRange(text, 0, text.length);
}
