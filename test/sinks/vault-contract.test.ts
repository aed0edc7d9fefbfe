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
      listing: {
        other: { sink: 'vault', path: `team/nested/key-${counter}` },
        // A secret someone else keeps under the prefix: not ours, never listed.
        plantForeign: async () => {
          const r = await f.raw('POST', 'secret/data/scw/test/team/db-password', { data: { password: 'x' } });
          if (r.status !== 200) throw new Error(`planting a foreign secret: ${r.status}`);
        },
      },
      plantForeignAt: async (location) => {
        const r = await f.raw('POST', `secret/data/scw/test/${location.path}`, { data: { password: 'x' } });
        if (r.status !== 200) throw new Error(`planting a foreign secret: ${r.status}`);
      },
      foreignStillThere: async (location) =>
        (await f.raw('GET', `secret/data/scw/test/${location.path}`)).status === 200,
      teardown: () => f.teardown(),
    };
  });
}
