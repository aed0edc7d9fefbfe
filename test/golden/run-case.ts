/**
 * Golden plan cases (run by golden.test.ts). Each case under `cases/<name>/`:
 *   desired/**.yaml  desired state, loaded through loadDesiredState (as the CLI does)
 *   live.json        the live organization (LiveState, `rules` as an object keyed by policy id)
 *   options.json     { now, instance?, prune?: true | {Kind: bool}, adoptAll?, allowMassDelete?,
 *                      maxDeletes?, maxDeletePercent?, within?: duration, rotation?: {overlap?, …},
 *                      sinks?: { "<ApiKey address>": SinkObservation },
 *                      sinkLayouts?: SinkLayout[], defaultSink?,   (default: one dotenv file sink `local`)
 *                      targets?: ["Kind/name", …] }                (--target: a partial plan)
 *   plan.txt, plan.json, plan.md   expected renderings
 * `UPDATE_GOLDEN=1 npx vitest run test/golden` rewrites the expectations; review the diff.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDuration } from '../../src/model/duration.js';
import { loadDesiredState } from '../../src/desired/load.js';
import type { LiveState, Rule } from '../../src/model/live.js';
import type { SinkObservation } from '../../src/model/plan.js';
import type { Address } from '../../src/model/resources.js';
import type { SinkLayout } from '../../src/model/sink-location.js';
import { buildPlan } from '../../src/planner/build-plan.js';
import { defaultPlanOptions, type PlanOptions, pruneAll } from '../../src/planner/options.js';

interface CaseOptions {
  now: string;
  instance?: string;
  prune?: true | Partial<Record<string, boolean>>;
  adoptAll?: boolean;
  allowMassDelete?: boolean;
  maxDeletes?: number;
  maxDeletePercent?: number;
  within?: string;
  rotation?: { overlap?: string; lifetime?: string; rotateBefore?: string; maxAge?: string };
  sinks?: Record<string, SinkObservation>;
  sinkLayouts?: SinkLayout[];
  defaultSink?: string;
  targets?: Address[];
}

/** The sinks of a case unless options.json declares others. */
const DEFAULT_LAYOUTS: SinkLayout[] = [
  { name: 'local', type: 'file', dir: '/var/lib/scw-gitops/secrets', format: 'dotenv' },
];

function ms(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = parseDuration(text);
  if (v === undefined) throw new Error(`bad duration in options.json: ${text}`);
  return v;
}

export function readLive(file: string): LiveState {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Omit<LiveState, 'rules'> & {
    rules?: Record<string, Rule[]>;
  };
  return { ...raw, rules: new Map(Object.entries(raw.rules ?? {})) };
}

export async function runCase(dir: string) {
  const o = JSON.parse(readFileSync(join(dir, 'options.json'), 'utf8')) as CaseOptions;
  const now = new Date(o.now);
  const instance = o.instance ?? 'default';
  const loaded = await loadDesiredState(join(dir, 'desired'), { instance, now });
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (!loaded.state) throw new Error(`desired state of ${dir} is invalid: ${JSON.stringify(errors)}`);
  const base = defaultPlanOptions();
  const prune = o.prune === true ? pruneAll(true) : o.prune ? { ...base.prune, ...o.prune } : base.prune;
  const lifetimeMs = ms(o.rotation?.lifetime);
  const rotateBeforeMs = ms(o.rotation?.rotateBefore);
  const maxAgeMs = ms(o.rotation?.maxAge);
  const withinMs = ms(o.within);
  const options: PlanOptions = {
    ...base,
    instance,
    prune,
    sinks: o.sinkLayouts ?? DEFAULT_LAYOUTS,
    defaultSink: o.defaultSink ?? 'local',
    ...(o.adoptAll !== undefined ? { adoptAll: o.adoptAll } : {}),
    ...(o.allowMassDelete !== undefined ? { allowMassDelete: o.allowMassDelete } : {}),
    ...(o.maxDeletes !== undefined ? { maxDeletes: o.maxDeletes } : {}),
    ...(o.maxDeletePercent !== undefined ? { maxDeletePercent: o.maxDeletePercent } : {}),
    ...(withinMs !== undefined ? { withinMs } : {}),
    ...(o.targets !== undefined ? { targets: o.targets } : {}),
    rotation: {
      overlapMs: ms(o.rotation?.overlap) ?? base.rotation.overlapMs,
      ...(lifetimeMs !== undefined ? { lifetimeMs } : {}),
      ...(rotateBeforeMs !== undefined ? { rotateBeforeMs } : {}),
      ...(maxAgeMs !== undefined ? { maxAgeMs } : {}),
    },
  };
  const plan = buildPlan({
    desired: loaded.state,
    live: readLive(join(dir, 'live.json')),
    sinkRecords: new Map(Object.entries(o.sinks ?? {})) as Map<Address, SinkObservation>,
    options,
    now,
  });
  return plan;
}
