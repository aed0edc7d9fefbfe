/**
 * Property: for any two desired states A and B, applying A then B and planning B again yields
 * no changes (the planner and the executor agree on what "converged" means), and no plan ever
 * touches an object it does not own. In memory: FakeScalewayClient + FakeSink + executePlan.
 */
import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { executePlan } from '../../src/executor/execute-plan.js';
import { observeSinks } from '../../src/sinks/observe.js';
import type { DesiredPrincipal, DesiredResource, DesiredRule } from '../../src/model/desired.js';
import { buildPlan } from '../../src/planner/build-plan.js';
import { defaultPlanOptions, pruneAll } from '../../src/planner/options.js';
import { observeLive } from '../../src/scaleway/observe.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeScalewayClient } from '../fakes/fake-scaleway.js';
import { FakeSink } from '../fakes/fake-sink.js';
import { dApp, desired, dGroup, dKey, dPolicy, dProject } from '../planner/builders.js';
import { FAKE_SINK_LAYOUT } from '../helpers/builders.js';

const APPS = ['alpha', 'beta', 'gamma', 'delta'];
const PROJECTS = ['web', 'data'];
const TAGS = ['team=a', 'team=b', 'env=prod', 'tier=x'];

const sub = <T>(pool: readonly T[]) => fc.subarray([...pool]);

const stateArb = fc
  .record({
    projects: sub(PROJECTS),
    apps: fc.uniqueArray(
      fc.record({
        name: fc.constantFrom(...APPS),
        tags: sub(TAGS),
        description: fc.constantFrom('', 'one', 'two'),
      }),
      {
        selector: (a) => a.name,
        maxLength: 4,
      },
    ),
    group: fc.option(fc.record({ members: sub(APPS), tags: sub(TAGS) }), { nil: undefined }),
    policies: fc.array(
      fc.record({
        principal: fc.constantFrom('app', 'group', 'none'),
        org: fc.boolean(),
        projects: sub(['default', ...PROJECTS]),
        condition: fc.constantFrom('', "request.ip == '10.0.0.1'"),
      }),
      { maxLength: 3 },
    ),
    keys: fc.array(
      fc.record({ project: fc.constantFrom('default', ...PROJECTS), description: fc.constantFrom('', 'ci') }),
      {
        maxLength: 2,
      },
    ),
  })
  .map((s) => {
    const apps = s.apps.map((a) => a.name);
    const projects = s.projects;
    const out: DesiredResource[] = [
      ...projects.map((p) => dProject(p, { description: `project ${p}` })),
      ...s.apps.map((a) => dApp(a.name, { tags: a.tags, description: a.description })),
    ];
    const hasGroup = s.group !== undefined;
    if (s.group)
      out.push(
        dGroup('crew', {
          memberApplications: s.group.members.filter((m) => apps.includes(m)),
          tags: s.group.tags,
        }),
      );
    s.policies.forEach((p, i) => {
      let principal: DesiredPrincipal = { type: 'none' };
      if (p.principal === 'app' && apps.length > 0)
        principal = { type: 'application', name: apps[i % apps.length]! };
      if (p.principal === 'group' && hasGroup) principal = { type: 'group', name: 'crew' };
      const scopeProjects = p.projects.filter((x) => x === 'default' || projects.includes(x));
      const rule: DesiredRule =
        p.org || scopeProjects.length === 0
          ? { permissionSets: ['IAMReadOnly'], scope: { type: 'organization' }, condition: p.condition }
          : {
              permissionSets: ['ObjectStorageFullAccess'],
              scope: { type: 'projects', projects: scopeProjects },
              condition: p.condition,
            };
      out.push(dPolicy(`policy-${i}`, { principal, rules: [rule] }));
    });
    s.keys.forEach((k, i) => {
      if (apps.length === 0) return;
      const project = k.project === 'default' || projects.includes(k.project) ? k.project : 'default';
      out.push(
        dKey(`key-${i}`, {
          application: apps[i % apps.length]!,
          defaultProject: project,
          description: k.description,
          rotation: { lifetimeMs: 30 * 86_400_000 },
          sink: { sink: 'fake' },
        }),
      );
    });
    return desired(...out);
  });

describe('planner/executor convergence (property)', () => {
  it('apply A, apply B, plan B → no changes; foreign objects untouched', async () => {
    const seen = { steps: 0, actions: new Set<string>() };
    await fc.assert(
      fc.asyncProperty(stateArb, stateArb, async (a, b) => {
        const clock = new FakeClock({ start: '2026-06-01T00:00:00.000Z' });
        const client = new FakeScalewayClient({
          now: () => clock.now(),
          seed: { applications: [{ name: 'alpha', tags: ['someone-else'], description: 'not ours' }] },
        });
        const foreign = [...client.applications.values()][0]!;
        const sink = new FakeSink('fake');
        const sinks = new Map([['fake', sink]]);
        const logger = pino({ level: 'silent' });
        const options = defaultPlanOptions({
          prune: pruneAll(true),
          allowMassDelete: true,
          adoptAll: true,
          sinks: [FAKE_SINK_LAYOUT],
          defaultSink: 'fake',
        });

        const pass = async (d: typeof a, apply: boolean) => {
          const live = await observeLive(client, { instance: 'default', now: () => clock.now() });
          const sinkRecords = await observeSinks(d, sinks, {
            layouts: [FAKE_SINK_LAYOUT],
            defaultSink: 'fake',
          });
          const plan = buildPlan({ desired: d, live, sinkRecords, options, now: clock.now() });
          expect(plan.diagnostics.filter((x) => x.severity === 'error')).toEqual([]);
          seen.steps += plan.steps.length;
          for (const s of plan.steps) seen.actions.add(s.action);
          if (apply && plan.steps.length > 0) {
            const summary = await executePlan(
              plan,
              { client, sinks, clock, logger, retry: { attempts: 2 } },
              { concurrency: 3 },
            );
            expect(summary.outcomes.filter((o) => o.result === 'failed' || o.result === 'skipped')).toEqual(
              [],
            );
          }
          return plan;
        };
        await pass(a, true);
        clock.advance(1000);
        await pass(b, true);
        const again = await pass(b, false);
        expect(again.steps.map((s) => `${s.id} ${JSON.stringify(s.changes)}`)).toEqual([]);
        const after = client.applications.get(foreign.id);
        // the unmarked "alpha" may be adopted when B declares alpha (adoptAll); otherwise untouched
        if (
          !b.resources.some((r) => r.address === 'Application/alpha') &&
          !a.resources.some((r) => r.address === 'Application/alpha')
        ) {
          expect(after).toEqual(foreign);
        }
      }),
      { numRuns: 30, seed: 20261123 },
    );
    // the generated cases really exercise the planner
    expect(seen.steps).toBeGreaterThan(30);
    expect([...seen.actions].sort()).toEqual(['adopt', 'create', 'delete', 'replace', 'update']);
  });
});
