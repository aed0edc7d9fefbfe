/**
 * ReconcileDeps for a pass against the sandbox over HTTP: the real client, a dotenv file sink
 * `local` in `<dir>/secrets` (the default sink), every kind pruned, 1 h overlap, captured logs.
 */
import { join } from 'node:path';
import type { Clock } from '../../src/clock.js';
import { defaultSettings } from '../../src/config/load-settings.js';
import type { Settings } from '../../src/config/settings.js';
import { Secret } from '../../src/model/secret.js';
import type { ReconcileDeps } from '../../src/reconciler/reconcile-once.js';
import type { SandboxHandle } from '../../src/sandbox/server.js';
import { createScalewayClient } from '../../src/scaleway/http-client.js';
import { createSinks } from '../../src/sinks/registry.js';
import { createLogCapture, type LogCapture } from '../helpers/log-capture.js';

export async function sandboxDeps(
  sandbox: SandboxHandle,
  dir: string,
  clock: Clock,
  overrides: Partial<Settings> = {},
  logLevel = 'debug',
): Promise<{ deps: ReconcileDeps & { settings: Settings }; cap: LogCapture }> {
  const settings: Settings = {
    ...defaultSettings(),
    instance: 'default',
    sinks: [{ name: 'local', type: 'file', dir: join(dir, 'secrets'), format: 'dotenv' }],
    defaults: { sink: 'local', rotation: { overlapMs: 3_600_000 } },
    prune: { Project: true, Application: true, Group: true, Policy: true, ApiKey: true },
    ...overrides,
  };
  const cap = createLogCapture({ level: logLevel });
  const client = createScalewayClient({
    apiUrl: sandbox.url,
    secretKey: new Secret(sandbox.adminSecretKey),
    organizationId: sandbox.organizationId,
    logger: cap.logger,
    retry: { retries: 2, minTimeoutMs: 1, maxTimeoutMs: 5 },
  });
  const sinks = await createSinks(settings, { env: {}, logger: cap.logger, clock });
  return { deps: { client, sinks, settings, clock, logger: cap.logger }, cap };
}
