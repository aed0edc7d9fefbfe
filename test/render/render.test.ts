import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import type { SinkObservation } from '../../src/model/plan.js';
import { knownSecretValues, Secret } from '../../src/model/secret.js';
import type { Address } from '../../src/model/resources.js';
import { buildPlan } from '../../src/planner/build-plan.js';
import { defaultPlanOptions, pruneAll } from '../../src/planner/options.js';
import { MAX_PLAN_BYTES, parsePlanJson, renderPlanJson } from '../../src/render/json.js';
import { renderPlanMarkdown } from '../../src/render/markdown.js';
import { renderPlanText } from '../../src/render/text.js';
import { dApp, desired, dKey, lApp, liveState, lKey } from '../planner/builders.js';

const NOW = new Date('2026-06-01T00:00:00.000Z');

function keyPlan() {
  // One key created, one replaced (custody lost), one app drifted, one pruned.
  return buildPlan({
    desired: desired(
      dApp('app', { description: 'pipes | and `ticks`', tags: ['t=1'] }),
      dKey('new', { rotation: { lifetimeMs: 30 * 86_400_000 } }),
      dKey('old'),
    ),
    live: liveState({ applications: [lApp('app'), lApp('gone')], apiKeys: [lKey('old')] }),
    sinkRecords: new Map<Address, SinkObservation>([['ApiKey/old', { accessKey: null }]]),
    options: defaultPlanOptions({
      prune: pruneAll(true),
      maxDeletePercent: 100,
      sinks: [{ name: 'vault', type: 'vault', mount: 'kv', pathPrefix: 'scw' }],
    }),
    now: NOW,
  });
}

describe('text rendering', () => {
  it('uses terraform-like symbols and a summary line; colour only when asked', () => {
    const plan = keyPlan();
    const plain = renderPlanText(plan);
    expect(plain).toContain('  + ApiKey/new');
    expect(plain).toContain('-/+ ApiKey/old');
    expect(plain).toContain('  ~ Application/app');
    expect(plain).toContain('      ~ tags: [] -> ["t=1"]');
    expect(plain).toContain('  - Application/gone');
    expect(plain.trimEnd().split('\n').at(-1)).toBe(
      'Plan: 1 to create, 1 to update, 1 to replace, 1 to delete, 0 to adopt.',
    );
    expect(plain).not.toContain('\u001b[');
    expect(renderPlanText(plan, { color: true })).toContain('\u001b[32m');
  });

  it('no changes', () => {
    const plan = buildPlan({
      desired: desired(dApp('app')),
      live: liveState({ applications: [lApp('app')] }),
      sinkRecords: new Map(),
      options: defaultPlanOptions(),
      now: NOW,
    });
    expect(renderPlanText(plan).trimEnd().split('\n').at(-1)).toBe(
      'No changes. Your organization matches the desired state.',
    );
    expect(renderPlanMarkdown(plan)).toContain(
      '**No changes. Your organization matches the desired state.**',
    );
  });
});

describe('JSON rendering', () => {
  it('is byte-stable with sorted keys and reads back', () => {
    const plan = keyPlan();
    const json = renderPlanJson(plan);
    expect(json.endsWith('}\n')).toBe(true);
    const reordered = Object.fromEntries(Object.entries(plan).reverse()) as typeof plan;
    expect(renderPlanJson(reordered)).toBe(json);
    const top = Object.keys(JSON.parse(json) as object);
    expect(top).toEqual([...top].sort());
    expect(renderPlanJson(parsePlanJson(json))).toBe(json);
  });

  it('refuses what is not a plan of this format', () => {
    expect(() => parsePlanJson('nope', 'p.json')).toThrow(ConfigError);
    const v1 = JSON.stringify({ ...JSON.parse(renderPlanJson(keyPlan())), formatVersion: 1 });
    expect(() => parsePlanJson(v1, 'p.json')).toThrow(/formatVersion: unsupported plan formatVersion 1/);
    const broken = JSON.stringify({ ...JSON.parse(renderPlanJson(keyPlan())), steps: [{ id: 1 }] });
    expect(() => parsePlanJson(broken, 'p.json')).toThrow(/steps\[0\]/);
  });

  type JsonObject = Record<string, unknown>;
  /** The object at `path` below `root`. */
  const at = (root: unknown, ...path: (string | number)[]): JsonObject =>
    path.reduce<unknown>((o, k) => (o as JsonObject)[k], root) as JsonObject;
  const stepOf = (doc: JsonObject, action: string): JsonObject =>
    (doc['steps'] as JsonObject[]).find((s) => s['action'] === action)!;

  /** The saved JSON of keyPlan(), edited by `edit`, then parsed: the error message, or 'ok'. */
  function parseEdited(edit: (doc: JsonObject) => void): string {
    const doc = JSON.parse(renderPlanJson(keyPlan())) as JsonObject;
    edit(doc);
    try {
      parsePlanJson(JSON.stringify(doc), 'p.json');
      return 'ok';
    } catch (err) {
      return (err as Error).message;
    }
  }

  it('checks every field deeply and names the field', () => {
    expect(parseEdited(() => undefined)).toBe('ok');
    expect(
      parseEdited((d) => {
        at(stepOf(d, 'create'), 'after', 'application')['id'] = 42;
      }),
    ).toMatch(
      /^p\.json: not a valid scw-gitops plan: steps\[\d\]\.after\.application\.id: expected a string, got number 42$/,
    );
    expect(
      parseEdited((d) => {
        at(stepOf(d, 'delete'), 'before', 'object')['tags'] = 'x';
      }),
    ).toMatch(/steps\[\d\]\.before\.object\.tags: expected an array, got string "x"/);
    expect(
      parseEdited((d) => {
        stepOf(d, 'replace')['disposeBefore'] = 'later';
      }),
    ).toMatch(/steps\[\d\]\.disposeBefore: expected one of retire, delete, got "later"/);
    expect(
      parseEdited((d) => {
        at(stepOf(d, 'create'), 'after', 'sink')['extra'] = true;
      }),
    ).toMatch(/steps\[\d\]\.after\.sink\.extra: unknown field/);
    expect(
      parseEdited((d) => {
        delete stepOf(d, 'delete')['countsTowardMassDelete'];
      }),
    ).toMatch(/steps\[\d\]\.countsTowardMassDelete: missing/);
    expect(
      parseEdited((d) => {
        stepOf(d, 'update')['action'] = 'replace';
      }),
    ).toMatch(/steps\[\d\]/);
    expect(
      parseEdited((d) => {
        d['liveFingerprint'] = 'sha256:xyz';
      }),
    ).toMatch(/liveFingerprint: expected sha256:/);
    expect(
      parseEdited((d) => {
        d['createdAt'] = 'yesterday';
      }),
    ).toMatch(/createdAt: expected an RFC 3339 time/);
  });

  it('refuses steps that do not hold together', () => {
    expect(
      parseEdited((d) => {
        stepOf(d, 'delete')['id'] = stepOf(d, 'create')['id'];
      }),
    ).toMatch(/duplicate step id/);
    expect(
      parseEdited((d) => {
        (stepOf(d, 'create')['dependsOn'] as string[]).push('create:Application/ghost');
      }),
    ).toMatch(/dependsOn: step "create:Application\/ghost" is not in the plan/);
    expect(
      parseEdited((d) => {
        at(stepOf(d, 'create'), 'after')['application'] = {
          address: 'Application/app',
          step: 'create:Application/x',
        };
      }),
    ).toMatch(/refers to step "create:Application\/x", which is not in the plan/);
    expect(
      parseEdited((d) => {
        stepOf(d, 'update')['address'] = 'Application/other';
      }),
    ).toMatch(/address: Application\/other does not match kind Application and name "app"/);
    expect(
      parseEdited((d) => {
        at(stepOf(d, 'create'), 'after', 'marker')['instance'] = 'prod';
      }),
    ).toMatch(/after\.marker\.instance: the plan is for instance "default"/);
    expect(
      parseEdited((d) => {
        at(d, 'summary')['delete'] = 0;
      }),
    ).toMatch(/summary\.delete: the plan has 1 delete steps/);
    expect(
      parseEdited((d) => {
        at(stepOf(d, 'delete'), 'before')['kind'] = 'Group';
      }),
    ).toMatch(/steps\[\d\]/);
  });

  it('refuses a file larger than any plan before parsing it', () => {
    expect(() => parsePlanJson(' '.repeat(MAX_PLAN_BYTES + 1), 'p.json')).toThrow(/larger than any plan/);
  });
});

describe('Markdown rendering', () => {
  it('summary table, details per kind, escaped cells', () => {
    const md = renderPlanMarkdown(keyPlan());
    expect(md).toContain('**Plan: 1 to create, 1 to update, 1 to replace, 1 to delete, 0 to adopt.**');
    expect(md).toContain('<details><summary>ApiKey (2)</summary>');
    expect(md).toContain('```diff');
    expect(md).not.toMatch(/\| [^|\n]*pipes \| and/);
  });

  it('highlights warnings and errors; blocked objects have their own section', () => {
    const blocked = buildPlan({
      desired: desired(dApp('app')),
      live: liveState({ applications: [lApp('app', { instance: null })] }),
      sinkRecords: new Map(),
      options: defaultPlanOptions(),
      now: NOW,
    });
    const md = renderPlanMarkdown(blocked);
    expect(md).toContain('> [!CAUTION]');
    expect(md).toContain(
      '**No changes for the objects that are not blocked. 1 object blocked by 1 error: fix the errors to plan them.**',
    );
    expect(md).toContain('<details open><summary>Blocked (1)</summary>');
    expect(md).toMatch(
      /\| `Application\/app` \| conflict: a live application named "app" already exists .*\| `desired\.yaml:1:1` \|/,
    );
  });

  it('says a plan refused by a plan-wide error is refused', () => {
    const owned = Array.from({ length: 12 }, (_, i) => lApp(`gone-${i}`));
    const refused = buildPlan({
      desired: desired(),
      live: liveState({ applications: owned }),
      sinkRecords: new Map(),
      options: { ...defaultPlanOptions(), prune: pruneAll(true) },
      now: NOW,
    });
    expect(refused.steps).toEqual([]);
    expect(renderPlanMarkdown(refused)).toContain('**Plan refused: 1 error. Nothing will be changed.**');
  });
});

describe('secrets', () => {
  it('no rendering of a plan around created keys contains a secret value', () => {
    // Secrets that exist in this process (as after a key creation), and the plan around them.
    const s1 = new Secret('7d3c1f4e-1111-4aaa-8bbb-0123456789ab');
    const s2 = new Secret('0f9e8d7c-2222-4ccc-9ddd-ba9876543210');
    const plan = keyPlan();
    const outputs = [
      renderPlanText(plan),
      renderPlanText(plan, { color: true }),
      renderPlanJson(plan),
      renderPlanMarkdown(plan),
    ];
    const values = knownSecretValues();
    expect(values).toEqual(expect.arrayContaining([s1.reveal(), s2.reveal()]));
    for (const text of outputs) {
      for (const v of values) {
        expect(text.includes(v)).toBe(false);
        expect(text.includes(Buffer.from(v).toString('base64'))).toBe(false);
      }
    }
    expect(renderPlanText(plan)).toContain(
      'secret: (sensitive: delivered to vault:kv/data/scw/new, sink vault)',
    );
  });
});
