/**
 * The command-line options of every command, as data: flag, short form, type, value placeholder,
 * default and description. From these tables come the `node:util` parseArgs configuration
 * (`parseOptions`) and the option list of `--help` (`renderOptions`), and docs/reference/cli.md
 * (scripts/gen-docs.ts). test/docs/cli-options.test.ts checks every command's real parser and
 * help against its table, so a flag cannot be added, renamed or dropped in one place only.
 */
import { parseArgs } from 'node:util';
import { closest } from '../desired/did-you-mean.js';

export interface OptionSpec {
  /** Long name without the dashes (`config` for `--config`). */
  readonly flag: string;
  readonly short?: string;
  readonly type: 'string' | 'boolean';
  /** May be given several times (string options: the values are collected in order). */
  readonly multiple?: boolean;
  /** Placeholder of the value in help (`FILE`, `N`); string options only. */
  readonly arg?: string;
  /** Default, as shown to users (documentation only: the command applies it). */
  readonly default?: string;
  /** One sentence or two; wrapped when rendered. */
  readonly description: string;
}

export interface CommandOptions {
  readonly command: string;
  /** Positional arguments, as in the usage line (`[DIR]`). */
  readonly positionals?: string;
  readonly options: readonly OptionSpec[];
}

export const HELP_OPTION = {
  flag: 'help',
  short: 'h',
  type: 'boolean',
  description: 'show this help',
} as const satisfies OptionSpec;

const CONFIG = (what: string) =>
  ({
    flag: 'config',
    short: 'c',
    type: 'string',
    arg: 'FILE',
    description: what,
  }) as const satisfies OptionSpec;

const INSTANCE = {
  flag: 'instance',
  type: 'string',
  arg: 'NAME',
  description: 'scw-gitops instance (overrides the settings)',
} as const satisfies OptionSpec;

const CACHE_DIR = {
  flag: 'cache-dir',
  type: 'string',
  arg: 'DIR',
  default: '$SCW_GITOPS_CACHE_DIR, else .scw-gitops-cache under the data directory',
  description: 'where the policy rules cache is kept between runs (safe to delete)',
} as const satisfies OptionSpec;

const PLAN_CONFIG = CONFIG(
  'settings file (sinks, prune, safety, instance, Scaleway endpoint); without it: built-in defaults, credentials from SCW_* / scw profile',
);

const NO_COLOR = {
  flag: 'no-color',
  type: 'boolean',
  description: 'no ANSI colours (also NO_COLOR)',
} as const satisfies OptionSpec;

/** How the commands that talk to Scaleway write their log lines to stderr. */
const LOG_FORMAT = {
  flag: 'log-format',
  type: 'string',
  arg: 'FORMAT',
  default: 'text',
  description:
    'log lines on stderr: text (one readable line each, like every other message) or json (pino JSON objects, for log collectors). Level: SCW_GITOPS_LOG_LEVEL (default warn)',
} as const satisfies OptionSpec;

/** What plan and reconcile decide with: the plan options (src/planner/options.ts) from flags. */
const PLANNING_OPTIONS = [
  { flag: 'allow-mass-delete', type: 'boolean', description: 'lift the mass-delete guard for this run' },
  {
    flag: 'max-deletes',
    type: 'string',
    arg: 'N',
    default: 'safety.maxDeletes (10)',
    description: 'refuse a plan deleting more than N objects',
  },
  {
    flag: 'max-delete-percent',
    type: 'string',
    arg: 'P',
    default: 'safety.maxDeletePercent (25)',
    description: 'refuse a plan deleting more than P% of the owned objects',
  },
  { flag: 'no-prune', type: 'boolean', description: 'never delete objects absent from git (all kinds)' },
  {
    flag: 'prune-kinds',
    type: 'string',
    arg: 'K1,K2',
    description: 'prune only these kinds (Project, Application, Group, Policy, ApiKey)',
  },
  { flag: 'adopt', type: 'boolean', description: 'adopt every unmarked object whose name is declared' },
] as const satisfies readonly OptionSpec[];

/** `--git` and its verification and credential flags (plan, reconcile; src/cli/git-flag.ts). */
export const GIT_OPTIONS = [
  {
    flag: 'git',
    type: 'string',
    arg: 'URL#REF:PATH',
    description:
      "fetch the desired state from a git repository instead of DIR: REF is a branch, refs/tags/NAME, semver:RANGE or a commit hash (default: the remote's default branch), PATH the sub-directory. Also used when --config has source.git",
  },
  {
    flag: 'verify',
    type: 'string',
    arg: 'MODE',
    default: "source.git.verify.mode, else 'off'",
    description:
      'signature check of the fetched commit (tag for tag refs): off, warn (report, go on) or enforce (refuse, exit 1)',
  },
  {
    flag: 'trusted-keys',
    type: 'string',
    arg: 'FILES',
    description: 'OpenPGP public key files or directories, comma-separated: the signers --verify trusts',
  },
  {
    flag: 'allowed-signers',
    type: 'string',
    arg: 'FILE',
    description: 'SSH allowed-signers file (ssh-keygen -Y format): the SSH signers --verify trusts',
  },
  {
    flag: 'git-token-env',
    type: 'string',
    arg: 'NAME',
    description:
      'environment variable holding an HTTPS token for --git (a token in the URL also works, and is never shown)',
  },
  {
    flag: 'git-ssh-key',
    type: 'string',
    arg: 'FILE',
    description: 'SSH private key for an ssh:// or git@host: URL (default: your ssh agent)',
  },
  {
    flag: 'git-known-hosts',
    type: 'string',
    arg: 'FILE',
    description: 'known_hosts file for --git over SSH (default: ~/.ssh/known_hosts)',
  },
] as const satisfies readonly OptionSpec[];

/** `--target Kind/name`, repeatable: a partial plan (src/planner/targets.ts). */
const TARGET = {
  flag: 'target',
  type: 'string',
  multiple: true,
  arg: 'KIND/NAME',
  description:
    'plan only this object and what it needs (repeatable), like terraform -target: the plan is marked partial, and nothing outside the targets is pruned',
} as const satisfies OptionSpec;

/** `--auto-approve`: no confirmation prompt in a terminal. */
const AUTO_APPROVE = {
  flag: 'auto-approve',
  type: 'boolean',
  description:
    "apply without asking. In an interactive terminal, the plan is shown and only 'yes' applies it; without a terminal (CI, the daemon) nothing is asked",
} as const satisfies OptionSpec;

const AT = {
  flag: 'at',
  type: 'string',
  arg: 'TIME',
  description: 'plan as of another instant (RFC 3339), e.g. to preview rotations',
} as const satisfies OptionSpec;

const WITHIN = {
  flag: 'within',
  type: 'string',
  arg: 'DURATION',
  description: 'list key rotations due within DURATION (e.g. 30d)',
} as const satisfies OptionSpec;

const PLAN_OUTPUT = {
  flag: 'output',
  short: 'o',
  type: 'string',
  arg: 'FORMAT',
  default: 'text',
  description: 'text, json (the saved-plan format) or markdown (PR comment)',
} as const satisfies OptionSpec;

const PLAN_OUT = {
  flag: 'out',
  type: 'string',
  arg: 'FILE',
  description:
    "write the rendering to FILE (json: a plan for 'apply --plan'). On a failure after the settings are read, text and markdown write the failure report there instead (the CI comment)",
} as const satisfies OptionSpec;

/** What plan and reconcile read and write, before `--at`. */
const PLANNING_HEAD = [
  PLAN_CONFIG,
  PLAN_OUTPUT,
  PLAN_OUT,
  INSTANCE,
  TARGET,
  CACHE_DIR,
  ...PLANNING_OPTIONS,
] as const;
/** …and after it. */
const PLANNING_TAIL = [WITHIN, ...GIT_OPTIONS, NO_COLOR, LOG_FORMAT, HELP_OPTION] as const;

export const PLAN_COMMAND_OPTIONS = {
  command: 'plan',
  positionals: '[DIR]',
  options: [...PLANNING_HEAD, AT, ...PLANNING_TAIL],
} as const satisfies CommandOptions;

export const RECONCILE_OPTIONS = {
  command: 'reconcile',
  positionals: '[DIR]',
  options: [
    {
      flag: 'dry-run',
      type: 'boolean',
      description: 'plan only (CI mode): exit 0 no changes, 2 changes pending, 1 error',
    },
    AUTO_APPROVE,
    ...PLANNING_HEAD,
    { ...AT, description: `${AT.description}; with --dry-run only` },
    ...PLANNING_TAIL,
  ],
} as const satisfies CommandOptions;

/** apply executes a fixed plan: nothing that would change it is an option. */
export const APPLY_OPTIONS = {
  command: 'apply',
  options: [
    { flag: 'plan', type: 'string', arg: 'FILE', description: 'the saved plan (required)' },
    AUTO_APPROVE,
    PLAN_CONFIG,
    INSTANCE,
    CACHE_DIR,
    {
      ...TARGET,
      description:
        'apply only the steps of this object and the steps they depend on (repeatable); the rest of the saved plan is left for later',
    },
    {
      flag: 'output',
      short: 'o',
      type: 'string',
      arg: 'FORMAT',
      default: 'text',
      description: 'text, or json (the plan, the outcome of each step and the error)',
    },
    NO_COLOR,
    LOG_FORMAT,
    HELP_OPTION,
  ],
} as const satisfies CommandOptions;

export const VALIDATE_OPTIONS = {
  command: 'validate',
  positionals: '[DIR]',
  options: [
    CONFIG(
      'settings file: its instance, sink names, defaults.sink and (when DIR is omitted) source.dir are used; the flags below override them',
    ),
    {
      flag: 'instance',
      type: 'string',
      arg: 'NAME',
      default: 'default',
      description: 'scw-gitops instance (decides the ownership markers that must fit in descriptions)',
    },
    {
      flag: 'sinks',
      type: 'string',
      arg: 'a,b',
      description: 'sink names declared in the settings; ApiKey spec.sink.name must be one',
    },
    {
      flag: 'default-sink',
      type: 'string',
      arg: 'NAME',
      description: "the settings' defaults.sink (keys without spec.sink.name use it)",
    },
    {
      flag: 'now',
      type: 'string',
      arg: 'RFC3339',
      default: 'the current time',
      description: 'evaluate expiry dates at this instant',
    },
    {
      flag: 'output',
      short: 'o',
      type: 'string',
      arg: 'FORMAT',
      default: 'text',
      description: 'text or json',
    },
    HELP_OPTION,
  ],
} as const satisfies CommandOptions;

export const IMPORT_OPTIONS = {
  command: 'import',
  options: [
    {
      flag: 'out',
      type: 'string',
      arg: 'DIR',
      description: 'directory to write (required); must be empty or absent unless --force',
    },
    CONFIG(
      "settings file (instance, sinks, Scaleway endpoint; the sinks are read to find each key's secret and expiry); without it: built-in defaults, credentials from SCW_* / scw profile",
    ),
    INSTANCE,
    {
      flag: 'include-keys',
      type: 'boolean',
      description:
        "also import API keys scw-gitops did not create (named after their application, adopted in custody state 'external', keeping their expiry date); keys this instance owns are always imported",
    },
    {
      flag: 'force',
      type: 'boolean',
      description: "write into a non-empty DIR (replaces the import's own files there)",
    },
    LOG_FORMAT,
    HELP_OPTION,
  ],
} as const satisfies CommandOptions;

export const RUN_OPTIONS = {
  command: 'run',
  options: [
    CONFIG('settings file (default: $SCW_GITOPS_CONFIG, else built-in defaults)'),
    {
      flag: 'once',
      type: 'boolean',
      description: 'run a single reconcile pass and exit (0 success, 1 failure)',
    },
    {
      flag: 'log-format',
      type: 'string',
      arg: 'FORMAT',
      default: 'json; text on a terminal (settings log.pretty: auto)',
      description:
        "log lines on stdout: json (pino JSON objects, for log collectors) or text (readable); overrides the settings' log.pretty",
    },
    CACHE_DIR,
    HELP_OPTION,
  ],
} as const satisfies CommandOptions;

export const SANDBOX_OPTIONS = {
  command: 'sandbox',
  options: [
    { flag: 'port', type: 'string', arg: 'N', default: '0 (a free port)', description: 'TCP port' },
    { flag: 'host', type: 'string', arg: 'H', default: '127.0.0.1', description: 'bind address' },
    {
      flag: 'state',
      type: 'string',
      arg: 'FILE',
      description: 'persist the organization as JSON (0600) and reload it at start',
    },
    {
      flag: 'no-seed',
      type: 'boolean',
      description: 'do not create the managed VPN gateway applications/policies',
    },
    {
      flag: 'seed',
      type: 'string',
      arg: 'N',
      description: 'PRNG seed for ids, secrets and faults (env SCW_SANDBOX_SEED)',
    },
    {
      flag: 'organization-id',
      type: 'string',
      arg: 'UUID',
      description: 'organization id of a fresh sandbox',
    },
    { flag: 'page-size', type: 'string', arg: 'N', default: '20', description: 'default IAM page size' },
    {
      flag: 'projects-page-size',
      type: 'string',
      arg: 'N',
      default: '50',
      description: 'default projects page size',
    },
    {
      flag: 'name-filter',
      type: 'string',
      arg: 'MODE',
      default: 'exact',
      description: 'exact or contains, for name=/policy_name= filters',
    },
    {
      flag: 'json-style',
      type: 'string',
      arg: 'STYLE',
      default: 'compact',
      description: 'compact or spaced (", " separators, as some real answers)',
    },
    {
      flag: 'no-permissions',
      type: 'boolean',
      description: 'accept any valid key (skip the IAM rights check of non-owner keys)',
    },
    {
      flag: 'latency',
      type: 'string',
      arg: 'MS',
      description: 'added latency per request (env SCW_SANDBOX_LATENCY_MS)',
    },
    {
      flag: 'rate-429',
      type: 'string',
      arg: 'R',
      description: 'probability of a gateway 429 (env SCW_SANDBOX_429_RATE)',
    },
    {
      flag: 'rate-5xx',
      type: 'string',
      arg: 'R',
      description: 'probability of a 5xx (env SCW_SANDBOX_5XX_RATE)',
    },
    {
      flag: 'reset-rate',
      type: 'string',
      arg: 'R',
      description: 'probability of a connection reset (env SCW_SANDBOX_RESET_RATE)',
    },
    {
      flag: 'ambiguous-rate',
      type: 'string',
      arg: 'R',
      description: 'probability a committed write loses its answer (env SCW_SANDBOX_AMBIGUOUS_RATE)',
    },
    {
      flag: 'rps',
      type: 'string',
      arg: 'N',
      description: 'requests per second before 429 (env SCW_SANDBOX_RPS)',
    },
    {
      flag: 'project-delete-412',
      type: 'string',
      arg: 'R',
      description: 'probability of 412 on project DELETE (env SCW_SANDBOX_PROJECT_DELETE_412_RATE)',
    },
    {
      flag: 'group-transient-ms',
      type: 'string',
      arg: 'MS',
      description: '409 transient_state window for group membership changes',
    },
    {
      flag: 'transient-403-ms',
      type: 'string',
      arg: 'MS',
      description: '403 window after policy changes (IAM propagation)',
    },
    {
      flag: 'shift-rate',
      type: 'string',
      arg: 'R',
      description:
        'probability that a write lands between two page fetches of a listing (env SCW_SANDBOX_SHIFT_RATE)',
    },
    {
      flag: 'max-page-size',
      type: 'string',
      arg: 'N',
      description: 'largest page served; a larger page_size is clamped (default 100)',
    },
    HELP_OPTION,
  ],
} as const satisfies CommandOptions;

export const CLI_OPTIONS: readonly CommandOptions[] = [
  VALIDATE_OPTIONS,
  PLAN_COMMAND_OPTIONS,
  RECONCILE_OPTIONS,
  APPLY_OPTIONS,
  RUN_OPTIONS,
  SANDBOX_OPTIONS,
  IMPORT_OPTIONS,
];

export function commandOptions(command: string): CommandOptions {
  const c = CLI_OPTIONS.find((x) => x.command === command);
  if (!c) throw new Error(`no option table for command ${command}`);
  return c;
}

type ParseConfig<T extends readonly OptionSpec[]> = {
  [O in T[number] as O['flag']]: O extends { multiple: true }
    ? { type: O['type']; short?: string; multiple: true }
    : { type: O['type']; short?: string };
};

/** The `options` of node:util `parseArgs` for a table (typed by the table's literal flags). */
export function parseOptions<const T extends readonly OptionSpec[]>(options: T): ParseConfig<T> {
  return Object.fromEntries(
    options.map((o) => [
      o.flag,
      {
        type: o.type,
        ...(o.short !== undefined ? { short: o.short } : {}),
        ...(o.multiple ? { multiple: true } : {}),
      },
    ]),
  ) as ParseConfig<T>;
}

type Parsed<T extends readonly OptionSpec[]> = ReturnType<
  typeof parseArgs<{ options: ParseConfig<T>; allowPositionals: true; strict: true }>
>;

/** The parsed `values` of a table: one optional property per flag. */
export type OptionValues<T extends readonly OptionSpec[]> = Parsed<T>['values'];

/**
 * Parses a command line against a command's table (node:util parseArgs, strict). A mistake throws
 * an Error whose message a user can act on: an option of another command names that command, a
 * misspelt one gets a did-you-mean, a missing value names its placeholder.
 */
export function parseCommandLine<const T extends CommandOptions>(
  table: T,
  argv: readonly string[],
): Parsed<T['options']> {
  try {
    return parseArgs({
      args: [...argv],
      options: parseOptions(table.options),
      allowPositionals: true,
      strict: true,
    }) as Parsed<T['options']>;
  } catch (err) {
    throw new Error(parseErrorMessage(table, err));
  }
}

function parseErrorMessage(table: CommandOptions, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown }).code;
  const quoted = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && quoted !== undefined) {
    const flag = quoted.replace(/^-+/, '');
    const owners = CLI_OPTIONS.filter((c) => c.options.some((o) => o.flag === flag || o.short === flag)).map(
      (c) => c.command,
    );
    if (owners.length > 0) {
      return `${quoted} is not an option of ${table.command} (it is one of ${owners.join(', ')})`;
    }
    const near = closest(
      flag,
      table.options.map((o) => o.flag),
    );
    return `unknown option ${quoted}${near !== undefined ? ` (did you mean --${near}?)` : ''}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && quoted !== undefined) {
    const flag = quoted.replace(/^-+/, '');
    const spec = table.options.find((o) => o.flag === flag || o.short === flag);
    if (spec?.type === 'string') return `--${spec.flag} needs a value (${spec.arg ?? 'VALUE'})`;
    if (spec?.type === 'boolean') return `--${spec.flag} takes no value`;
  }
  return message;
}

/** `-c, --config FILE` */
export function optionLabel(o: OptionSpec): string {
  const long = `--${o.flag}${o.arg !== undefined ? ` ${o.arg}` : ''}`;
  return o.short !== undefined ? `-${o.short}, ${long}` : long;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** The `Options:` block of a help text: labels in a 25-column gutter, descriptions wrapped at 100. */
export function renderOptions(options: readonly OptionSpec[]): string {
  const gutter = 25;
  const out: string[] = [];
  for (const o of options) {
    const label = `  ${optionLabel(o)}`;
    const text = `${o.description}${o.default !== undefined ? `. Default: ${o.default}` : ''}`;
    const body = wrap(text, 100 - gutter);
    if (label.length >= gutter - 1) {
      out.push(label);
      for (const l of body) out.push(`${' '.repeat(gutter)}${l}`);
    } else {
      body.forEach((l, i) => {
        out.push(`${i === 0 ? label.padEnd(gutter) : ' '.repeat(gutter)}${l}`);
      });
    }
  }
  return `${out.join('\n')}\n`;
}
