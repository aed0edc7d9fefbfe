/**
 * `scw-gitops keys`: one row per declared API key, read-only (docs/concepts.md, "Key view").
 * Pure: (desired, live, sink observations, options, now) → rows, with the same custody rules as
 * the planner (api-keys.ts): the current key is the newest `ready` (or adopted `external`) one,
 * previous keys retire `overlap` after their successor was delivered (rotation.ts).
 *
 * A row's status, worst first: `expired` (the current key expired), `missing` (no current key),
 * `secret-missing` (the sink does not hold the current key), `sink-unreadable`, `rotation-due`,
 * `ok`. `expired`, `missing` and `secret-missing` make the command exit 1.
 */
import type { DesiredApiKey, DesiredState } from '../model/desired.js';
import type { ApiKey, LiveState } from '../model/live.js';
import type { SinkObservation } from '../model/plan.js';
import type { Address } from '../model/resources.js';
import { resolveSink } from '../model/sink-location.js';
import { type LiveKeyEntry, LiveIndex, newestFirst } from './live-index.js';
import type { PlanOptions } from './options.js';
import { overlapChain } from './key-steps.js';
import { effectiveRotation, rotationState, toIso } from './rotation.js';

export type KeyStatus = 'ok' | 'rotation-due' | 'sink-unreadable' | 'secret-missing' | 'missing' | 'expired';

/** The statuses that fail the check (exit 1). */
export const FAILING_STATUSES: readonly KeyStatus[] = ['expired', 'missing', 'secret-missing'];

export interface KeyView {
  readonly accessKey: string;
  /** Custody state from the marker: ready, external, pending, retiring. */
  readonly state: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
}

export interface RetiringKeyView extends KeyView {
  /** When it is deleted: its overlap after its successor's delivery ends (or it expires). */
  readonly overlapEndsAt: string;
}

export interface KeyRow {
  readonly address: Address;
  readonly application: string;
  readonly status: KeyStatus;
  readonly current: KeyView | null;
  /** When the current key is rotated (null: never automatically, e.g. a fixed expiresAt). */
  readonly nextRotation: string | null;
  /** Where its secret goes (null: no sink declared). */
  readonly sink: { readonly name: string; readonly location: string } | null;
  /** The sink holds the current key (read back); null when it was not read. */
  readonly inSink: boolean | null;
  readonly sinkError?: string;
  readonly retiring: readonly RetiringKeyView[];
}

export interface KeyReportInput {
  readonly desired: DesiredState;
  readonly live: LiveState;
  readonly sinkRecords: ReadonlyMap<Address, SinkObservation>;
  readonly options: Pick<PlanOptions, 'instance' | 'rotation' | 'sinks' | 'defaultSink'>;
  readonly now: Date;
}

function view(key: ApiKey, state: string): KeyView {
  return { accessKey: key.accessKey, state, createdAt: key.createdAt, expiresAt: key.expiresAt };
}

export function keyReport(input: KeyReportInput): KeyRow[] {
  const { options } = input;
  const now = input.now.getTime();
  const index = new LiveIndex(input.live, options.instance);
  const declared = input.desired.resources.filter((r): r is DesiredApiKey => r.kind === 'ApiKey');
  return declared.map((desired) => {
    const mine = [...(index.ourKeysByName.get(desired.name) ?? [])].sort(newestFirst);
    const inState = (...states: string[]) => mine.filter((e) => states.includes(e.marker!.state));
    const current = inState('ready', 'external')[0];
    const resolved = resolveSink(desired, options.sinks, options.defaultSink);
    const sink =
      resolved.ok && resolved.sink.type !== 'none'
        ? { name: resolved.sink.sink, location: resolved.sink.target }
        : null;
    const observation = input.sinkRecords.get(desired.address);
    const rotation = effectiveRotation(desired.rotation, options.rotation, desired.expiresAt !== undefined);
    const state = current ? rotationState(current.key, rotation, now) : undefined;
    const inSink =
      !current || !observation || observation.error !== undefined
        ? null
        : observation.accessKey === current.key.accessKey;
    const custodyChecked = current?.marker?.state !== 'external';
    let status: KeyStatus = 'ok';
    if (state?.status === 'expired') status = 'expired';
    else if (!current) status = 'missing';
    else if (inSink === false && custodyChecked) status = 'secret-missing';
    else if (observation?.error !== undefined) status = 'sink-unreadable';
    else if (state?.status === 'rotation-due') status = 'rotation-due';
    const nextRotation =
      state && state.status !== 'expired' && state.rotateAt !== undefined && desired.expiresAt === undefined
        ? toIso(state.rotateAt)
        : null;
    return {
      address: desired.address,
      application: desired.application,
      status,
      current: current ? view(current.key, current.marker!.state) : null,
      nextRotation,
      sink,
      inSink,
      ...(observation?.error !== undefined ? { sinkError: observation.error } : {}),
      retiring: current ? retiringViews(current, mine, observation, rotation.overlapMs) : [],
    };
  });
}

/** Keys superseded by the current one, newest first, with the end of their overlap. */
function retiringViews(
  current: LiveKeyEntry,
  mine: readonly LiveKeyEntry[],
  observation: SinkObservation | undefined,
  overlapMs: number,
): RetiringKeyView[] {
  const previous = mine.filter(
    (e) => e !== current && ['ready', 'external', 'retiring'].includes(e.marker!.state),
  );
  return overlapChain(current, previous, observation, overlapMs).map(({ entry, due }) => ({
    ...view(entry.key, entry.marker!.state),
    overlapEndsAt: toIso(due),
  }));
}
