/**
 * `scw-gitops sandbox`: serve the built-in Scaleway API emulator until SIGINT/SIGTERM and print
 * the environment a client needs (emulator-only credentials, safe to print).
 */
import type { FaultOptions } from '../../sandbox/faults.js';
import { faultOptionsFromEnv } from '../../sandbox/faults.js';
import { startSandbox } from '../../sandbox/server.js';
import type { CliIO } from '../io.js';
import { renderOptions, SANDBOX_OPTIONS } from '../options.js';
import { EXIT_ERROR, EXIT_OK } from '../io.js';

const HELP = `Usage: scw-gitops sandbox [options]

Serve an emulator of the Scaleway Account v3 + IAM v1alpha1 APIs (projects, applications,
API keys, groups, policies, rules, permission sets, users) on 127.0.0.1.

Options:
${renderOptions(SANDBOX_OPTIONS.options)}`;

type NumFlag = { flag: string; fault?: keyof FaultOptions; opt?: string; int?: boolean; rate?: boolean };

const NUMERIC: readonly NumFlag[] = [
  { flag: '--port', opt: 'port', int: true },
  { flag: '--seed', opt: 'randomSeed', int: true },
  { flag: '--page-size', opt: 'iamDefaultPageSize', int: true },
  { flag: '--projects-page-size', opt: 'projectsDefaultPageSize', int: true },
  { flag: '--latency', fault: 'latencyMs' },
  { flag: '--rate-429', fault: 'rate429', rate: true },
  { flag: '--rate-5xx', fault: 'rate5xx', rate: true },
  { flag: '--reset-rate', fault: 'resetRate', rate: true },
  { flag: '--ambiguous-rate', fault: 'ambiguousWriteRate', rate: true },
  { flag: '--rps', fault: 'rps' },
  { flag: '--project-delete-412', fault: 'projectDelete412Rate', rate: true },
  { flag: '--group-transient-ms', fault: 'groupTransientWindowMs' },
  { flag: '--transient-403-ms', fault: 'transient403WindowMs' },
  { flag: '--shift-rate', fault: 'shiftRate', rate: true },
  { flag: '--max-page-size', opt: 'maxPageSize', int: true },
];

interface Parsed {
  help: boolean;
  host?: string;
  state?: string;
  seed: boolean;
  organizationId?: string;
  nameFilter?: 'exact' | 'contains';
  jsonStyle?: 'compact' | 'spaced';
  enforcePermissions: boolean;
  numbers: Record<string, number>;
  faults: FaultOptions;
}

function parseArgs(argv: readonly string[]): Parsed {
  const out: Parsed = { help: false, seed: true, enforcePermissions: true, numbers: {}, faults: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const eq = arg.indexOf('=');
    const flag = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith('--') && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '-h' || flag === '--help') out.help = true;
    else if (flag === '--host') out.host = value();
    else if (flag === '--state') out.state = value();
    else if (flag === '--no-seed') out.seed = false;
    else if (flag === '--organization-id') out.organizationId = value();
    else if (flag === '--no-permissions') out.enforcePermissions = false;
    else if (flag === '--json-style') {
      const v = value();
      if (v !== 'compact' && v !== 'spaced')
        throw new Error(`--json-style: expected compact or spaced, got "${v}"`);
      out.jsonStyle = v;
    } else if (flag === '--name-filter') {
      const v = value();
      if (v !== 'exact' && v !== 'contains')
        throw new Error(`--name-filter: expected exact or contains, got "${v}"`);
      out.nameFilter = v;
    } else {
      const spec = NUMERIC.find((n) => n.flag === flag);
      if (!spec) throw new Error(`unknown option ${arg}`);
      const raw = value();
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || (spec.int && !Number.isInteger(n))) {
        throw new Error(`${flag}: expected a non-negative ${spec.int ? 'integer' : 'number'}, got "${raw}"`);
      }
      if (spec.rate && n > 1) throw new Error(`${flag}: a rate must be between 0 and 1, got ${raw}`);
      if (spec.fault) (out.faults as Record<string, number>)[spec.fault] = n;
      else if (spec.opt) out.numbers[spec.opt] = n;
    }
  }
  return out;
}

export async function run(argv: readonly string[], io: CliIO): Promise<number> {
  let parsed: Parsed;
  let envFaults: FaultOptions;
  try {
    parsed = parseArgs(argv);
    envFaults = faultOptionsFromEnv(io.env);
  } catch (err) {
    io.stderr(`scw-gitops sandbox: ${(err as Error).message}\n\n${HELP}`);
    return EXIT_ERROR;
  }
  if (parsed.help) {
    io.stdout(HELP);
    return EXIT_OK;
  }
  const n = parsed.numbers;
  let handle: Awaited<ReturnType<typeof startSandbox>>;
  try {
    handle = await startSandbox({
      env: {},
      seed: parsed.seed,
      enforcePermissions: parsed.enforcePermissions,
      ...(parsed.jsonStyle !== undefined && { jsonStyle: parsed.jsonStyle }),
      faults: {
        ...envFaults,
        ...parsed.faults,
        ...(n['randomSeed'] !== undefined && { seed: n['randomSeed'] }),
      },
      ...(n['port'] !== undefined && { port: n['port'] }),
      ...(parsed.host !== undefined && { host: parsed.host }),
      ...(parsed.state !== undefined && { stateFile: parsed.state }),
      ...(parsed.organizationId !== undefined && { organizationId: parsed.organizationId }),
      ...(parsed.nameFilter !== undefined && { nameFilter: parsed.nameFilter }),
      ...(n['iamDefaultPageSize'] !== undefined && { iamDefaultPageSize: n['iamDefaultPageSize'] }),
      ...(n['projectsDefaultPageSize'] !== undefined && {
        projectsDefaultPageSize: n['projectsDefaultPageSize'],
      }),
      ...((n['randomSeed'] ?? envFaults.seed) !== undefined && {
        randomSeed: n['randomSeed'] ?? envFaults.seed,
      }),
    });
  } catch (err) {
    io.stderr(`scw-gitops sandbox: cannot start: ${(err as Error).message}\n`);
    return EXIT_ERROR;
  }

  io.stdout(
    [
      `Scaleway sandbox listening on ${handle.url}`,
      '# emulator-only credentials:',
      `export SCW_API_URL=${handle.url}`,
      `export SCW_ACCESS_KEY=${handle.adminAccessKey}`,
      `export SCW_SECRET_KEY=${handle.adminSecretKey}`,
      `export SCW_DEFAULT_ORGANIZATION_ID=${handle.organizationId}`,
      `export SCW_DEFAULT_PROJECT_ID=${handle.organizationId}`,
      parsed.state ? `# state: ${parsed.state}` : '# state: in memory (use --state FILE to keep it)',
      `# faults: GET/PATCH ${handle.url}/_sandbox/faults (admin key)`,
      '',
    ].join('\n'),
  );

  await new Promise<void>((resolve) => {
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await handle.close();
  io.stderr(`scw-gitops sandbox: stopped after ${handle.requestCount()} request(s)\n`);
  return EXIT_OK;
}
