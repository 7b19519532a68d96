/**
 * The storage a manager writes through (its guard seals every record with the record MAC), for
 * tests that set a record up in a state the public API does not reach directly. Writes through the
 * raw adapter are what an attacker does; these are what keywarden itself does.
 */
import { capabilityContext } from '../../src/extension/index.js';
import type { KeyManager } from '../../src/index.js';
import type { StorageAdapter } from '../../src/ports/storage.js';

/** The guarded storage of `km` (reads checked, writes MAC'd). */
export function trustedStorage(km: KeyManager): StorageAdapter {
  return capabilityContext(km).storage;
}
