/** The daemon's own fields of a status document, for tests that call DaemonState.status(). */
import type { StatusExtra } from '../../src/daemon/state.js';

export const STATUS_EXTRA: StatusExtra = {
  instance: 'test',
  organizationId: 'org',
  version: '0.0.0',
  source: {},
  queue: { running: false, pending: false, backingOff: false },
  schedule: { resync: '', rotationCheck: '', nextResyncAt: null, nextDueAt: null, retryAt: null },
};
