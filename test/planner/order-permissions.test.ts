import { describe, expect, it } from 'vitest';
import type { PlanStep } from '../../src/model/plan.js';
import { orderSteps } from '../../src/planner/build-plan.js';
import { didYouMean, isDangerous } from '../../src/planner/permissions.js';
import { lApp, lGroup, lKey, lProject } from './builders.js';

function draft(id: string, o: Partial<PlanStep> = {}): Omit<PlanStep, 'dependsOn' | 'wave'> {
  const [action, rest] = id.split(':') as [PlanStep['action'], string];
  const [kind, name] = rest.split('@')[0]!.split('/') as [PlanStep['kind'], string];
  return {
    id,
    action,
    kind,
    name,
    address: `${kind}/${name}`,
    reason: 'missing',
    changes: [],
    warnings: [],
    ...o,
  };
}

describe('orderSteps', () => {
  it('creates follow their references; deletes follow the steps still pointing at the object', () => {
    const app = lApp('a');
    const project = lProject('p');
    const steps = orderSteps([
      draft('delete:Project/p@1', { before: { kind: 'Project', object: project } }),
      draft('delete:Application/a@2', { before: { kind: 'Application', object: app } }),
      draft('create:Policy/x', { refs: { 'Application/b': { step: 'create:Application/b' } } }),
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
      draft('create:Group/g', { refs: { 'Application/a': { step: 'create:Application/a' } } }),
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
