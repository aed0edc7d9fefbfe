/** Rules across fields and resources (validate.ts), each asserting file, line, col, resource, field. */
import { describe, expect, it } from 'vitest';
import type { LoadOptions } from '../../src/desired/load.js';
import { maxKeyMarkerLength, maxProjectMarkerLength } from '../../src/model/ownership.js';
import { BASE, codes, expectOne, header, load } from './helpers.js';

/** test.yaml next to base.yaml (Project web, Application app, Group admins). */
function check(text: string, opts: Partial<LoadOptions> = {}) {
  return load({ 'base.yaml': BASE, 'test.yaml': text }, opts).diagnostics;
}
/** An ApiKey `k` of `app`; extra spec lines start at line 7. */
const key = (extra: string, name = 'k') => `${header('ApiKey', name)}spec:\n  application: app\n${extra}`;

describe('descriptions leave room for the ownership marker', () => {
  it('project: 200 minus the project marker of the instance', () => {
    const room = 200 - maxProjectMarkerLength('default');
    expect(room).toBe(179);
    const text = (n: number) => `${header('Project', 'p2')}spec:\n  description: ${'d'.repeat(n)}\n`;
    expect(check(text(room))).toEqual([]);
    expectOne(check(text(room + 1)), {
      code: 'too-long',
      line: 6,
      col: 16,
      resource: 'Project/p2',
      field: 'spec.description',
      message:
        /180 characters long; the maximum is 179 because scw-gitops appends its ownership marker " \[scw-gitops:default\]"/,
    });
    // A longer instance name leaves less room.
    expectOne(check(text(room), { instance: 'production-eu' }), {
      code: 'too-long',
      line: 6,
      col: 16,
      resource: 'Project/p2',
      field: 'spec.description',
    });
  });

  it('api key: 200 minus the key marker (instance, key name, longest state)', () => {
    const room = 200 - maxKeyMarkerLength('default', 'k');
    const text = (n: number) => key(`  lifetime: 30d\n  description: ${'d'.repeat(n)}\n`);
    expect(check(text(room))).toEqual([]);
    expectOne(check(text(room + 1)), {
      code: 'too-long',
      line: 8,
      col: 16,
      resource: 'ApiKey/k',
      field: 'spec.description',
      message: /\[scw-gitops:default:k:retiring\]/,
    });
  });
});

describe('projects', () => {
  it('the project `default` cannot be declared', () => {
    expectOne(check(header('Project', 'default')), {
      code: 'reserved-name',
      line: 4,
      col: 9,
      resource: 'Project/default',
      field: 'metadata.name',
    });
  });
});

describe('expiry', () => {
  it('expiresAt must be in the future', () => {
    expectOne(check(key(`  expiresAt: "2026-05-31T00:00:00Z"\n`)), {
      code: 'expired',
      line: 7,
      col: 14,
      resource: 'ApiKey/k',
      field: 'spec.expiresAt',
      message: /not in the future \(now is 2026-06-01T12:00:00.000Z\)/,
    });
    expect(codes(check(key(`  expiresAt: "2026-06-01T14:00:00+01:00"\n`)))).toEqual([]);
    expect(codes(check(key(`  expiresAt: 2030-01-01t00:00:00.123456789z\n`)))).toEqual([]);
  });

  it('expiresAt must be RFC 3339 with an offset', () => {
    expectOne(check(key(`  expiresAt: "2027-01-01 10:00"\n`)), {
      code: 'invalid-timestamp',
      line: 7,
      col: 14,
      resource: 'ApiKey/k',
      field: 'spec.expiresAt',
      message: /RFC 3339/,
    });
  });

  it('expiresAt must be a real date', () => {
    expectOne(check(key(`  expiresAt: 2027-02-30T00:00:00Z\n`)), {
      code: 'invalid-timestamp',
      line: 7,
      col: 14,
      resource: 'ApiKey/k',
      field: 'spec.expiresAt',
      message: /not a valid date and time/,
    });
  });

  it('expiresAt and lifetime are mutually exclusive', () => {
    expectOne(check(key(`  expiresAt: "2030-01-01T00:00:00Z"\n  lifetime: 30d\n`)), {
      code: 'conflicting-fields',
      line: 8,
      col: 3,
      resource: 'ApiKey/k',
      field: 'spec.lifetime',
    });
  });

  it('a key with neither expiry nor maxAge is a warning, not an error', () => {
    const r = load({ 'base.yaml': BASE, 'test.yaml': key('') });
    expectOne(r.diagnostics, {
      code: 'never-expires',
      severity: 'warning',
      line: 4,
      col: 9,
      resource: 'ApiKey/k',
      field: undefined,
    });
    expect(r.state?.resources.map((x) => x.address)).toContain('ApiKey/k');
  });
});

describe('durations and rotation', () => {
  it('duration syntax', () => {
    expectOne(check(key(`  lifetime: 3 days\n`)), {
      code: 'invalid-duration',
      line: 7,
      col: 13,
      resource: 'ApiKey/k',
      field: 'spec.lifetime',
      message: /a duration such as `90d`/,
    });
  });

  it('a lifetime of 0s', () => {
    expectOne(check(key(`  lifetime: 0s\n`)), {
      code: 'invalid-duration',
      line: 7,
      col: 13,
      resource: 'ApiKey/k',
      field: 'spec.lifetime',
      message: /longer than 0s/,
    });
  });

  it('rotateBefore < lifetime', () => {
    expectOne(check(key(`  lifetime: 30d\n  rotation:\n    rotateBefore: 30d\n`)), {
      code: 'rotation-conflict',
      line: 9,
      col: 19,
      resource: 'ApiKey/k',
      field: 'spec.rotation.rotateBefore',
      message: /30d must be shorter than spec.lifetime \(30d\)/,
    });
  });

  it('overlap < lifetime − rotateBefore', () => {
    expectOne(check(key(`  lifetime: 30d\n  rotation:\n    rotateBefore: 10d\n    overlap: 20d\n`)), {
      code: 'rotation-conflict',
      line: 10,
      col: 14,
      resource: 'ApiKey/k',
      field: 'spec.rotation.overlap',
      message: /lifetime − rotateBefore = 30d − 10d = 20d/,
    });
  });

  it('overlap < lifetime − default rotateBefore (a third of the lifetime)', () => {
    expectOne(check(key(`  lifetime: 3d\n  rotation:\n    overlap: 2d\n`)), {
      code: 'rotation-conflict',
      line: 9,
      col: 14,
      resource: 'ApiKey/k',
      field: 'spec.rotation.overlap',
      message: /3d − 1d \(default: a third of the lifetime\) = 2d/,
    });
  });

  it('overlap longer than rotateBefore is a warning (the old key expires first)', () => {
    expectOne(check(key(`  lifetime: 30d\n  rotation:\n    rotateBefore: 1d\n    overlap: 2d\n`)), {
      code: 'overlap-exceeds-expiry',
      severity: 'warning',
      line: 10,
      col: 14,
      resource: 'ApiKey/k',
      field: 'spec.rotation.overlap',
    });
  });

  it('maxAge is for keys without expiry', () => {
    expectOne(check(key(`  lifetime: 30d\n  rotation:\n    maxAge: 10d\n`)), {
      code: 'rotation-conflict',
      line: 9,
      col: 13,
      resource: 'ApiKey/k',
      field: 'spec.rotation.maxAge',
      hint: 'with a lifetime, use `rotation.rotateBefore`',
    });
  });

  it('overlap < maxAge', () => {
    expectOne(check(key(`  rotation:\n    maxAge: 1d\n    overlap: 1d\n`)), {
      code: 'rotation-conflict',
      line: 9,
      col: 14,
      resource: 'ApiKey/k',
      field: 'spec.rotation.overlap',
    });
  });

  it('rotateBefore cannot renew a fixed expiresAt', () => {
    expectOne(check(key(`  expiresAt: "2030-01-01T00:00:00Z"\n  rotation:\n    rotateBefore: 1d\n`)), {
      code: 'rotation-conflict',
      line: 9,
      col: 19,
      resource: 'ApiKey/k',
      field: 'spec.rotation.rotateBefore',
    });
  });

  it('rotateBefore without any lifetime is a warning', () => {
    expectOne(check(key(`  rotation:\n    rotateBefore: 1d\n`)), {
      code: 'rotation-ineffective',
      severity: 'warning',
      line: 8,
      col: 19,
      resource: 'ApiKey/k',
      field: 'spec.rotation.rotateBefore',
    });
  });
});

describe('duplicates', () => {
  it('reports every occurrence, each naming the other location', () => {
    const diags = load({
      'a.yaml': header('Application', 'app'),
      'b/c.yaml': `# c\n${header('Application', 'app')}`,
    }).diagnostics;
    const dups = diags.filter((d) => d.code === 'duplicate-name');
    expect(dups.map((d) => [d.location, d.resource, d.field, d.message])).toEqual([
      [
        { file: 'a.yaml', line: 4, col: 9 },
        'Application/app',
        'metadata.name',
        'Application/app is declared 2 times; also at b/c.yaml:5:9',
      ],
      [
        { file: 'b/c.yaml', line: 5, col: 9 },
        'Application/app',
        'metadata.name',
        'Application/app is declared 2 times; also at a.yaml:4:9',
      ],
    ]);
  });

  it('the same name in different kinds is fine', () => {
    expect(
      load({ 'a.yaml': `${header('Application', 'x')}---\n${header('Group', 'x')}` }).diagnostics,
    ).toEqual([]);
  });
});

describe('references', () => {
  it('ApiKey.application must be a declared Application', () => {
    expectOne(check(`${header('ApiKey', 'k')}spec:\n  application: ap\n  lifetime: 1d\n`), {
      code: 'dangling-reference',
      line: 6,
      col: 16,
      resource: 'ApiKey/k',
      field: 'spec.application',
      hint: 'did you mean `app`?',
    });
  });

  it('ApiKey.defaultProject must be a declared Project or `default`', () => {
    expect(check(key(`  lifetime: 1d\n  defaultProject: default\n`))).toEqual([]);
    expect(check(key(`  lifetime: 1d\n  defaultProject: web\n`))).toEqual([]);
    expectOne(check(key(`  lifetime: 1d\n  defaultProject: webb\n`)), {
      code: 'dangling-reference',
      line: 8,
      col: 19,
      resource: 'ApiKey/k',
      field: 'spec.defaultProject',
      hint: 'did you mean `web`?',
    });
  });

  it('Group members must be declared Applications', () => {
    expectOne(
      check(`${header('Group', 'g')}spec:\n  members:\n    applications:\n      - app\n      - ghost\n`),
      {
        code: 'dangling-reference',
        line: 9,
        col: 9,
        resource: 'Group/g',
        field: 'spec.members.applications[1]',
      },
    );
  });

  it('Policy principal must be declared', () => {
    const rules = '  rules: [{ permissionSets: [A], organization: true }]\n';
    expectOne(check(`${header('Policy', 'p')}spec:\n  principal: { application: nope }\n${rules}`), {
      code: 'dangling-reference',
      line: 6,
      col: 29,
      resource: 'Policy/p',
      field: 'spec.principal.application',
    });
    expectOne(check(`${header('Policy', 'p')}spec:\n  principal: { group: admin }\n${rules}`), {
      code: 'dangling-reference',
      line: 6,
      col: 23,
      resource: 'Policy/p',
      field: 'spec.principal.group',
      hint: 'did you mean `admins`?',
    });
  });

  it('rule projects must be declared Projects or `default`', () => {
    const text = `${header('Policy', 'p')}spec:\n  principal: { none: true }\n  rules:\n    - permissionSets: [A]\n      projects: [default, web, mobile]\n`;
    expectOne(check(text), {
      code: 'dangling-reference',
      line: 9,
      col: 32,
      resource: 'Policy/p',
      field: 'spec.rules[0].projects[2]',
    });
  });

  it('references to a resource that has other errors are not reported as dangling', () => {
    const text = `${header('Application', 'bot')}spec:\n  descripton: typo\n---\n${header('ApiKey', 'k')}spec:\n  application: bot\n  lifetime: 1d\n`;
    expect(codes(check(text))).toEqual(['unknown-field']);
  });
});

describe('sinks', () => {
  const opts = { sinkNames: ['local', 'vault-prod'], defaultSink: 'local' };

  it('sink.name must be a sink of the settings', () => {
    expectOne(check(key(`  lifetime: 1d\n  sink:\n    name: vault-prd\n`), opts), {
      code: 'unknown-sink',
      line: 9,
      col: 11,
      resource: 'ApiKey/k',
      field: 'spec.sink.name',
      hint: 'did you mean `vault-prod`?',
    });
  });

  it('is not checked without the settings', () => {
    expect(check(key(`  lifetime: 1d\n  sink:\n    name: anything\n`))).toEqual([]);
  });

  it('a key without sink.name needs a default sink', () => {
    expect(check(key(`  lifetime: 1d\n`), opts)).toEqual([]);
    expectOne(check(key(`  lifetime: 1d\n`), { sinkNames: ['local'] }), {
      code: 'no-sink',
      line: 4,
      col: 9,
      resource: 'ApiKey/k',
      field: undefined,
    });
  });

  it('sink.path must stay inside the sink', () => {
    expectOne(check(key(`  lifetime: 1d\n  sink:\n    path: team/../../etc/passwd\n`)), {
      code: 'invalid-path',
      line: 9,
      col: 11,
      resource: 'ApiKey/k',
      field: 'spec.sink.path',
    });
    expectOne(check(key(`  lifetime: 1d\n  sink:\n    path: /etc/passwd\n`)), {
      code: 'invalid-path',
      line: 9,
      col: 11,
      resource: 'ApiKey/k',
      field: 'spec.sink.path',
    });
  });
});

describe('dangerous permission sets', () => {
  const policy = (ack: string) =>
    `${header('Policy', 'p')}spec:\n  principal: { application: app }\n  rules:\n    - permissionSets: [IAMReadOnly, IAMManager]\n      organization: true\n${ack}`;

  it('need an acknowledgement when granted to an application or group', () => {
    expectOne(check(policy('')), {
      code: 'dangerous-permissions',
      line: 8,
      col: 37,
      resource: 'Policy/p',
      field: 'spec.rules[0].permissionSets[1]',
      hint: 'set `spec.acknowledgeDangerousPermissions: true` if this is intended',
    });
    expect(check(policy('  acknowledgeDangerousPermissions: true\n'))).toEqual([]);
  });

  it('an acknowledgement without dangerous sets is a warning', () => {
    const text = `${header('Policy', 'p')}spec:\n  principal: { none: true }\n  rules: [{ permissionSets: [IAMReadOnly], organization: true }]\n  acknowledgeDangerousPermissions: true\n`;
    expectOne(check(text), {
      code: 'unneeded-acknowledgement',
      severity: 'warning',
      line: 8,
      col: 36,
      resource: 'Policy/p',
      field: 'spec.acknowledgeDangerousPermissions',
    });
  });
});

describe('options', () => {
  it('an invalid instance name is an error', () => {
    const diags = check(key('  lifetime: 1d\n'), { instance: 'Prod_1' });
    expect(diags.filter((d) => d.code === 'invalid-instance')).toHaveLength(1);
    expect(diags.find((d) => d.code === 'invalid-instance')?.location).toBeUndefined();
  });
});

describe('sink locations', () => {
  it('two keys writing to the same path of the same sink collide', () => {
    const text = `${key('  lifetime: 1d\n  sink: { name: local, path: shared.env }\n', 'k1')}---\n${key('  lifetime: 1d\n  sink: { name: local, path: shared.env }\n', 'k2')}`;
    const diags = check(text).filter((d) => d.code === 'sink-collision');
    expect(diags.map((d) => [d.resource, d.field, d.location?.line, d.location?.col, d.message])).toEqual([
      ['ApiKey/k1', 'spec.sink.path', 8, 30, expect.stringContaining('same sink location as ApiKey/k2')],
      ['ApiKey/k2', 'spec.sink.path', 17, 30, expect.stringContaining('same sink location as ApiKey/k1')],
    ]);
  });

  it('an explicit path equal to another key name collides with that key’s default', () => {
    const text = `${key('  lifetime: 1d\n', 'k1')}---\n${key('  lifetime: 1d\n  sink: { path: k1 }\n', 'k2')}`;
    expectOne(
      check(text).filter((d) => d.resource === 'ApiKey/k2'),
      {
        code: 'sink-collision',
        line: 16,
        col: 17,
        resource: 'ApiKey/k2',
        field: 'spec.sink.path',
      },
    );
  });

  it('the same path in different sinks, or a Secret name in another namespace, is fine', () => {
    const text = `${key('  lifetime: 1d\n  sink: { name: a, path: x }\n', 'k1')}---\n${key('  lifetime: 1d\n  sink: { name: b, path: x }\n', 'k2')}---\n${key('  lifetime: 1d\n  sink: { name: a, namespace: n1, secretName: s }\n', 'k3')}---\n${key('  lifetime: 1d\n  sink: { name: a, namespace: n2, secretName: s }\n', 'k4')}`;
    expect(check(text)).toEqual([]);
  });
});
