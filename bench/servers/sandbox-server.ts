/**
 * The project's sandbox in a process of its own, steered over the IPC channel (bench/lib/proc.ts
 * forkRpc): the measured client never shares an event loop or a CPU queue slot with it.
 *
 *   node --import tsx bench/servers/sandbox-server.ts [--state FILE] [--no-seed] [--applications N]
 *
 * --state loads (and keeps) the organization in FILE; --applications seeds N ordinary
 * applications (listing benchmarks).
 */
import { parseArgs } from 'node:util';
import { saveStateFile } from '../../src/sandbox/persistence.js';
import { startSandbox } from '../../src/sandbox/server.js';
import { serveRpc } from '../lib/proc.js';
import { requestsSince, seedOwnedApplications } from '../scenarios/org.js';

const { values } = parseArgs({
  options: {
    state: { type: 'string' },
    'no-seed': { type: 'boolean' },
    applications: { type: 'string' },
  },
});

const sandbox = await startSandbox({
  env: {},
  randomSeed: 7,
  seed: values['no-seed'] !== true,
  ...(values.state !== undefined ? { stateFile: values.state } : {}),
});
const appIds =
  values.applications !== undefined
    ? sandbox.seedApplications(Number(values.applications), { prefix: 'bench' })
    : [];

serveRpc(
  {
    url: sandbox.url,
    organizationId: sandbox.organizationId,
    adminAccessKey: sandbox.adminAccessKey,
    adminSecretKey: sandbox.adminSecretKey,
  },
  {
    /** Replace the fault options (latency, rps, …); a fresh token bucket. */
    faults: (a) => sandbox.faults.set(a as Parameters<typeof sandbox.faults.set>[0]),
    mark: () => sandbox.requestCount(),
    /** Requests received and answers injected by fault options (with only `rps` set: the 429s). */
    counters: () => ({ requests: sandbox.requestCount(), limited: sandbox.faults.injectedCount() }),
    since: (a) => requestsSince(sandbox, a['mark'] as number),
    save: (a) => saveStateFile(a['file'] as string, sandbox.store.toState()),
    seedOwnedApplications: (a) => seedOwnedApplications(sandbox, a['from'] as number, a['to'] as number),
    hasApplication: (a) => [...sandbox.store.applications.values()].some((x) => x.name === a['name']),
    applicationIds: () => appIds,
  },
  () => sandbox.close(),
);
