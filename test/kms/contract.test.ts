import { describe, expect, it } from 'vitest';
import { generateMasterKey, localKms, passphraseKms } from '../../src/kms/index.js';
import { testKmsAdapter } from '../../src/testing/kms-contract.js';
import { memoryMetaStore } from '../../src/testing/memory-meta.js';

const current = generateMasterKey();
const previous = [generateMasterKey({ encoding: 'hex' }), generateMasterKey({ encoding: 'bytes' })];

testKmsAdapter({ name: 'localKms', create: () => localKms({ masterKey: current }), describe, it, expect });

testKmsAdapter({
  name: 'localKms with a keyring',
  create: () => localKms({ masterKey: current, previousKeys: previous }),
  samples: 16,
  describe,
  it,
  expect,
});

testKmsAdapter({
  name: 'passphraseKms',
  create: () => passphraseKms({ passphrase: 'correct horse battery staple', scrypt: { N: 2 ** 14 } }),
  meta: () => memoryMetaStore(),
  samples: 16,
  describe,
  it,
  expect,
});
