/**
 * The shared SecretSink contract against the Vault sink + emulator, once per auth method.
 * Failure cases: a location escaping the prefix (`..`), and a sink whose prefix the policy denies.
 */
import { describeSinkContract } from './sink-contract.js';
import { type AuthMethod, createVaultFixture } from './vault-fixtures.js';

let counter = 0;

for (const method of ['token', 'kubernetes', 'approle'] as const satisfies readonly AuthMethod[]) {
  describeSinkContract(`vault (${method} auth)`, async () => {
    const f = await createVaultFixture({ method });
    counter++;
    return {
      sink: f.sink,
      location: { sink: 'vault', path: `key-${counter}` },
      badLocation: { sink: 'vault', path: '../escape' },
      brokenSink: f.makeSink({ pathPrefix: 'forbidden' }),
      teardown: () => f.teardown(),
    };
  });
}
