import { describe, expect, it } from 'vitest';
import type { LiveObject, PlannedValue, PlanStep } from '../../src/model/plan.js';
import type { Address, Kind } from '../../src/model/resources.js';
import { orderSteps } from '../../src/planner/build-plan.js';
import type { DraftStep } from '../../src/planner/context.js';
import { didYouMean, isDangerous } from '../../src/planner/permissions.js';
import { lApp, lGroup, lKey, lProject } from './builders.js';

const marker = { instance: 'default' };

/** A minimal planned value of `kind`, referencing `refs` (addresses made by create steps). */
function value(kind: Kind, name: string, refs: readonly Address[]): PlannedValue {
  const made = refs.map((address) => ({ address, step: `create:${address}` }));
  const named = { name, description: '', tags: [], marker };
  switch (kind) {
    case 'Project':
      return { kind, name, description: '', marker };
    case 'Application':
      return { kind, ...named };
    case 'Group':
      return { kind, ...named, members: made };
    case 'Policy':
      return {
        kind,
        ...named,
        principal: made[0] ? { type: 'application', ref: made[0] } : { type: 'none' },
        rules: [],
      };
    case 'ApiKey':
      throw new Error('not used here');
  }
}

function draft(id: string, o: { before?: LiveObject; refs?: Address[] } = {}): DraftStep {
  const [action, rest] = id.split(':') as [PlanStep['action'], string];
  const [kind, name] = rest.split('@')[0]!.split('/') as [Kind, string];
  const common = {
    id,
    kind,
    name,
    address: `${kind}/${name}` as Address,
    reason: 'missing' as const,
    changes: [],
    warnings: [],
  };
  switch (action) {
    case 'create':
      return { ...common, action, after: value(kind, name, o.refs ?? []) };
    case 'delete':
      return { ...common, action, before: o.before!, countsTowardMassDelete: true };
    case 'update':
      return { ...common, action, before: o.before!, after: value(kind, name, o.refs ?? []) };
    default:
      throw new Error(`no ${action} drafts here`);
  }
}

describe('orderSteps', () => {
  it('creates follow their references; deletes follow the steps still pointing at the object', () => {
    const app = lApp('a');
    const project = lProject('p');
    const steps = orderSteps([
      draft('delete:Project/p@1', { before: { kind: 'Project', object: project } }),
      draft('delete:Application/a@2', { before: { kind: 'Application', object: app } }),
      draft('create:Policy/x', { refs: ['Application/b'] }),
      draft('create:Application/b'),
      draft('delete:ApiKey/k@SCW1', {
        before: { kind: 'ApiKey', object: lKey('k', { app: 'a', defaultProjectId: project.id }) },
      }),
      draft('update:Group/g', {
        before: { kind: 'Group', object: lGroup('g', { applicationIds: [app.id] }) },
      }),
    ]);
    expect(steps.map((s) => [s.id, s.wave])).toEqual([
      ['create:Application/b', 0],
      ['update:Group/g', 0],
      ['delete:ApiKey/k@SCW1', 0],
      ['create:Policy/x', 1],
      ['delete:Application/a@2', 1],
      ['delete:Project/p@1', 1],
    ]);
    const byId = new Map(steps.map((s) => [s.id, s]));
    expect(byId.get('delete:Application/a@2')!.dependsOn).toEqual(['delete:ApiKey/k@SCW1', 'update:Group/g']);
    expect(byId.get('delete:Project/p@1')!.dependsOn).toEqual(['delete:ApiKey/k@SCW1']);
    // every dependency is in an earlier wave
    for (const s of steps) for (const d of s.dependsOn) expect(byId.get(d)!.wave).toBeLessThan(s.wave);
  });

  it('is independent of input order', () => {
    const input = [
      draft('create:Group/g', { refs: ['Application/a'] }),
      draft('create:Application/a'),
      draft('create:Project/p'),
    ];
    expect(orderSteps(input)).toEqual(orderSteps([...input].reverse()));
  });
});

describe('permissions', () => {
  it('dangerous sets by scope', () => {
    expect(isDangerous('IAMManager', 'projects')).toBe(true);
    expect(isDangerous('OrganizationManager', 'organization')).toBe(true);
    expect(isDangerous('AllProductsFullAccess', 'organization')).toBe(true);
    expect(isDangerous('AllProductsFullAccess', 'projects')).toBe(false);
    expect(isDangerous('IAMAccessKeysFullAccess', 'organization')).toBe(true);
    expect(isDangerous('ObjectStorageFullAccess', 'organization')).toBe(false);
    expect(isDangerous('IAMReadOnly', 'organization')).toBe(false);
  });
  it('did-you-mean', () => {
    const known = ['ObjectStorageReadOnly', 'ObjectStorageFullAccess', 'IAMReadOnly'];
    expect(didYouMean('objectstoragereadonly', known)).toBe('ObjectStorageReadOnly');
    expect(didYouMean('ObjectStorageReadOnyl', known)).toBe('ObjectStorageReadOnly');
    expect(didYouMean('Completely', known)).toBeUndefined();
  });
});
