/** A Runtime for daemon tests that inject their own pass: no client calls, nothing to close. */
import type { Runtime } from '../../src/app/runtime.js';
import type { ScalewayClient } from '../../src/scaleway/port.js';

export function fakeRuntime(): Runtime & { closed: boolean } {
  const rt = {
    client: { organizationId: 'org-1' } as unknown as ScalewayClient,
    sinks: new Map(),
    organizationId: 'org-1',
    apiUrl: 'http://127.0.0.1:1',
    credentialSource: 'test',
    closed: false,
    async close() {
      rt.closed = true;
    },
  };
  return rt;
}
