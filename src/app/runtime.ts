/**
 * Runtime composition: the Scaleway client and the secret sinks a command or the daemon needs,
 * built from the settings.
 *
 * - `scaleway.sandbox.enabled`: the built-in emulator is started in-process on 127.0.0.1 and the
 *   client uses its admin credentials (nothing leaves the machine).
 * - otherwise credentials are resolved like the `scw` CLI does (env, then profile in
 *   ~/.config/scw/config.yaml); `scaleway.apiUrl` / `organizationId` in the settings win.
 *
 * The policy rules cache is persisted under `settings.cacheDir` when there is one (the CLI and
 * the daemon share it; see src/scaleway/rules-cache.ts), else it lives in memory.
 *
 * `close()` closes the sinks and stops the sandbox; it is idempotent.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Settings } from '../config/settings.js';
import { resolveScalewayCredentials } from '../config/scw-credentials.js';
import { ConfigError } from '../errors.js';
import { Secret } from '../model/secret.js';
import type { SandboxHandle } from '../sandbox/server.js';
import { createScalewayClient, type RequestEvent } from '../scaleway/http-client.js';
import type { ScalewayClient } from '../scaleway/port.js';
import { FileRulesCache, RulesCache } from '../scaleway/rules-cache.js';
import { createSinks } from '../sinks/registry.js';
import type { SecretSink } from '../sinks/sink.js';

export interface Runtime {
  readonly client: ScalewayClient;
  readonly sinks: Map<string, SecretSink>;
  /** Policy rules read earlier (this process, or earlier runs through the cache directory). */
  readonly rulesCache?: RulesCache;
  readonly sandbox?: SandboxHandle;
  readonly organizationId: string;
  /** Base URL the client talks to (sandbox or Scaleway). */
  readonly apiUrl: string;
  /** Where the credentials came from (for logs; never the secret). */
  readonly credentialSource: string;
  close(): Promise<void>;
}

export interface RuntimeDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Every HTTP attempt of the Scaleway client (metrics). */
  readonly onRequest?: (e: RequestEvent) => void;
  /** Home directory for the scw config file (tests). */
  readonly homeDir?: string;
}

export async function createRuntime(settings: Settings, deps: RuntimeDeps): Promise<Runtime> {
  const log = deps.logger.child({ component: 'runtime' });
  let sandbox: SandboxHandle | undefined;
  let apiUrl: string;
  let secretKey: Secret;
  let organizationId: string;
  let credentialSource: string;

  if (settings.scaleway.sandbox?.enabled) {
    const { startSandbox } = await import('../sandbox/server.js');
    const sb = settings.scaleway.sandbox;
    if (sb.stateFile !== undefined) await mkdir(path.dirname(sb.stateFile), { recursive: true });
    sandbox = await startSandbox({
      port: sb.port,
      host: '127.0.0.1',
      ...(sb.stateFile !== undefined ? { stateFile: sb.stateFile } : {}),
      clock: () => deps.clock.now(),
      env: deps.env,
    });
    apiUrl = sandbox.url;
    secretKey = new Secret(sandbox.adminSecretKey);
    organizationId = sandbox.organizationId;
    credentialSource = 'built-in sandbox';
    log.info(
      { url: sandbox.url, organizationId, stateFile: sb.stateFile, adminAccessKey: sandbox.adminAccessKey },
      'sandbox started in-process',
    );
  } else {
    const creds = resolveScalewayCredentials({
      env: deps.env,
      ...(settings.scaleway.profile !== undefined ? { profile: settings.scaleway.profile } : {}),
      ...(deps.homeDir !== undefined ? { homeDir: deps.homeDir } : {}),
      ...(settings.scaleway.organizationId !== undefined
        ? { organizationId: settings.scaleway.organizationId }
        : {}),
    });
    for (const w of creds.warnings) log.warn(w);
    apiUrl = settings.scaleway.apiUrl ?? creds.apiUrl;
    secretKey = creds.secretKey;
    organizationId = settings.scaleway.organizationId ?? creds.organizationId;
    credentialSource = creds.source;
    if (!organizationId) {
      throw new ConfigError(
        'scaleway: no organization id (set scaleway.organizationId, SCW_DEFAULT_ORGANIZATION_ID or the profile)',
      );
    }
    log.info(
      { apiUrl, organizationId, credentials: creds.source, profile: creds.profile },
      'scaleway credentials',
    );
  }

  const client = createScalewayClient({
    apiUrl,
    secretKey,
    organizationId,
    listConcurrency: settings.scaleway.listConcurrency,
    maxConcurrency: settings.scaleway.maxConcurrency,
    timeoutMs: settings.scaleway.requestTimeoutMs,
    retry: { retries: settings.scaleway.retries },
    logger: deps.logger.child({ component: 'scaleway' }),
    ...(deps.onRequest ? { onRequest: deps.onRequest } : {}),
  });

  let sinks: Map<string, SecretSink>;
  try {
    sinks = await createSinks(settings, { env: deps.env, logger: deps.logger, clock: deps.clock });
  } catch (err) {
    await sandbox?.close();
    throw err;
  }

  const rulesCache =
    settings.cacheDir !== undefined
      ? await FileRulesCache.open({
          dir: settings.cacheDir,
          organizationId,
          logger: deps.logger.child({ component: 'rules-cache' }),
        })
      : new RulesCache();

  let closed = false;
  return {
    client,
    sinks,
    rulesCache,
    ...(sandbox ? { sandbox } : {}),
    organizationId,
    apiUrl,
    credentialSource,
    async close() {
      if (closed) return;
      closed = true;
      for (const [name, sink] of sinks) {
        try {
          await sink.close?.();
        } catch (err) {
          log.warn({ err, sink: name }, 'closing sink failed');
        }
      }
      await sandbox?.close();
    },
  };
}
