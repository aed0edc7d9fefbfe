/**
 * Planner options: a value struct with named defaults (`defaultPlanOptions`), so callers can
 * see every default and change only what they need.
 */
import type { RotationDefaults } from '../config/settings.js';
import { DEFAULT_INSTANCE } from '../model/ownership.js';
import type { Address, Kind } from '../model/resources.js';
import type { SinkLayout } from '../model/sink-location.js';

export interface PlanOptions {
  /** Our instance name: only objects carrying this instance's marker are ours. */
  readonly instance: string;
  /** Prune (delete) owned objects absent from git, per kind. */
  readonly prune: Readonly<Record<Kind, boolean>>;
  /** Refuse a plan deleting more than this many objects. */
  readonly maxDeletes: number;
  /** Refuse a plan deleting more than this share (0-100) of the owned objects (when ≥ 2 deletions). */
  readonly maxDeletePercent: number;
  /** Lift both mass-delete limits. */
  readonly allowMassDelete: boolean;
  /** Adopt every unmarked live object whose name is desired (as if each had `metadata.adopt: true`). */
  readonly adoptAll: boolean;
  /** List rotations that become due within this window (ms) in `plan.upcoming`. */
  readonly withinMs?: number;
  /** Rotation defaults from the settings; a key's own `spec.rotation` wins field by field. */
  readonly rotation: RotationDefaults;
  /** Git revision of the desired state, recorded in the plan. */
  readonly revision?: string;
  /** The verified signer of `revision` (git source), recorded in the plan. */
  readonly signer?: string;
  /** The declared secret sinks (settings `sinks:`): where each key's secret goes is decided from them. */
  readonly sinks: readonly SinkLayout[];
  /** The settings' `defaults.sink`. */
  readonly defaultSink?: string;
  /**
   * `--target`: plan only these addresses and what they need (a partial plan, src/planner/targets.ts).
   * Absent or empty: the whole desired state.
   */
  readonly targets?: readonly Address[];
}

export const DEFAULT_OVERLAP_MS = 60 * 60 * 1000;

export function defaultPlanOptions(overrides: Partial<PlanOptions> = {}): PlanOptions {
  return {
    instance: DEFAULT_INSTANCE,
    prune: { Project: false, Application: false, Group: false, Policy: false, ApiKey: false },
    maxDeletes: 10,
    maxDeletePercent: 25,
    allowMassDelete: false,
    adoptAll: false,
    rotation: { overlapMs: DEFAULT_OVERLAP_MS },
    sinks: [],
    ...overrides,
  };
}

export function pruneAll(on: boolean): Record<Kind, boolean> {
  return { Project: on, Application: on, Group: on, Policy: on, ApiKey: on };
}
