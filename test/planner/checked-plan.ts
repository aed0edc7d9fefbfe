/**
 * buildPlan for the planner's invariant tests (cascades, renames, duplicates, quota): one file sink
 * as the default, and every plan checked against the strict saved-plan schema.
 */
import type { Plan, SinkObservation } from '../../src/model/plan.js';
import type { Address } from '../../src/model/resources.js';
import { buildPlan } from '../../src/planner/build-plan.js';
import { defaultPlanOptions, type PlanOptions } from '../../src/planner/options.js';
import { decodePlan } from '../../src/render/plan-schema.js';
import type { desired, liveState } from './builders.js';

export const NOW = new Date('2026-06-01T00:00:00.000Z');
const LOCAL = { name: 'local', type: 'file', dir: '/var/lib/scw-gitops/secrets', format: 'dotenv' } as const;

export function checkedPlan(
  d: ReturnType<typeof desired>,
  l: ReturnType<typeof liveState>,
  o: Partial<PlanOptions> = {},
  sinks: Record<string, SinkObservation> = {},
  now = NOW,
): Plan {
  const p = buildPlan({
    desired: d,
    live: l,
    sinkRecords: new Map(Object.entries(sinks)) as Map<Address, SinkObservation>,
    options: defaultPlanOptions({ sinks: [LOCAL], defaultSink: 'local', ...o }),
    now,
  });
  // Every plan the planner makes passes the strict saved-plan schema.
  decodePlan(JSON.parse(JSON.stringify(p)));
  return p;
}
