/**
 * Issue #13 item 5: `metadata.renamedFrom` renames an owned object in place (Terraform's `moved`):
 * one update of its name, no delete, no create, and what hangs on its id survives: the keys of an
 * application (no replacement), the members of a group, the rules of a policy.
 */
import { describe, expect, it } from 'vitest';
import type { Plan, SinkObservation } from '../../src/model/plan.js';
import { pruneAll } from '../../src/planner/options.js';
import { checkedPlan } from './checked-plan.js';
import {
  dApp,
  desired,
  dGroup,
  dKey,
  dPolicy,
  dProject,
  lApp,
  lGroup,
  lKey,
  liveState,
  lPolicy,
  lProject,
  lRule,
} from './builders.js';

function plan(
  d: ReturnType<typeof desired>,
  l: ReturnType<typeof liveState>,
  sinks: Record<string, SinkObservation> = {},
): Plan {
  return checkedPlan(d, l, { prune: pruneAll(true) }, sinks);
}

const steps = (p: Plan) => p.steps.map((s) => `${s.action} ${s.address} ${s.reason}`);
const codes = (p: Plan) => p.diagnostics.map((d) => `${d.severity}:${d.code}`);

describe('metadata.renamedFrom', () => {
  it('application: one in-place name update; its key is neither replaced nor deleted', () => {
    const old = lApp('old', { nbApiKeys: 1 });
    const key = lKey('ci', { app: 'old' });
    const p = plan(
      desired(dApp('new', { renamedFrom: ['old'] }), dKey('ci', { application: 'new' })),
      liveState({ applications: [old], apiKeys: [key] }),
      { 'ApiKey/ci': { accessKey: key.accessKey } },
    );
    expect(steps(p)).toEqual(['update Application/new renamed']);
    expect(p.steps[0]!.changes).toEqual([{ field: 'name', before: 'old', after: 'new' }]);
    expect(p.deferred).toBeUndefined();
    expect(codes(p)).toEqual([]);
  });

  it('after the rename the plan is empty, and renamedFrom can stay', () => {
    const renamedApp = lApp('old', { name: 'new' });
    const key = lKey('ci', { app: 'old' }); // same application id
    const p = plan(
      desired(dApp('new', { renamedFrom: ['old'] }), dKey('ci', { application: 'new' })),
      liveState({ applications: [renamedApp], apiKeys: [key] }),
      { 'ApiKey/ci': { accessKey: key.accessKey } },
    );
    expect(p.steps).toEqual([]);
  });

  it('project, group and policy keep their id, so memberships and rules survive', () => {
    const app = lApp('app');
    const project = lProject('web');
    const group = lGroup('devs', { applicationIds: [app.id] });
    const policy = lPolicy('read', { principal: { type: 'group', id: group.id } });
    const rule = lRule('r1', {
      permissionSetNames: ['ObjectStorageReadOnly'],
      scope: { type: 'projects', projectIds: [project.id] },
    });
    const p = plan(
      desired(
        dApp('app'),
        dProject('website', { renamedFrom: ['web'] }),
        dGroup('developers', { renamedFrom: ['devs'], memberApplications: ['app'] }),
        dPolicy('read-only', {
          renamedFrom: ['read'],
          principal: { type: 'group', name: 'developers' },
          rules: [
            {
              permissionSets: ['ObjectStorageReadOnly'],
              scope: { type: 'projects', projects: ['website'] },
              condition: '',
            },
          ],
        }),
      ),
      liveState({
        projects: [...liveState().projects, project],
        applications: [app],
        groups: [group],
        policies: [policy],
        rules: { [policy.id]: [rule] },
      }),
    );
    expect(steps(p)).toEqual([
      'update Project/website renamed',
      'update Group/developers renamed',
      'update Policy/read-only renamed',
    ]);
    for (const s of p.steps) expect(s.changes.map((c) => c.field)).toEqual(['name']);
  });

  it('an owned object of the new name wins; the old one is pruned as usual', () => {
    const p = plan(
      desired(dApp('new', { renamedFrom: ['old'] })),
      liveState({ applications: [lApp('old'), lApp('new')] }),
    );
    expect(steps(p)).toEqual(['delete Application/old pruned']);
  });

  it('two owned objects with earlier names: an error, nothing renamed', () => {
    const p = plan(
      desired(dApp('new', { renamedFrom: ['a', 'b'] })),
      liveState({ applications: [lApp('a'), lApp('b')] }),
    );
    expect(codes(p)).toContain('error:ambiguous-rename');
    expect(p.steps.filter((s) => s.action !== 'delete' || s.kind !== 'Application')).toEqual([]);
    expect(p.steps.filter((s) => s.action === 'delete')).toEqual([]);
  });

  it('an unmarked object of an earlier name is not ours: not renamed, a plain create', () => {
    const p = plan(
      desired(dApp('new', { renamedFrom: ['old'] })),
      liveState({ applications: [lApp('old', { instance: null })] }),
    );
    expect(steps(p)).toEqual(['create Application/new missing']);
  });
});
