/**
 * The persistent rules cache (rules-<organization>.json under the cache directory): a second run
 * reads no rules, a changed policy is read again, and the file is only ever a cache: a missing,
 * corrupt or foreign file is ignored (debug log), an unwritable directory never fails a pass.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Policy, Rule } from '../../src/model/live.js';
import { Secret } from '../../src/model/secret.js';
import { type SandboxHandle, startSandbox } from '../../src/sandbox/server.js';
import { createScalewayClient } from '../../src/scaleway/http-client.js';
import { observeLive } from '../../src/scaleway/observe.js';
import { FileRulesCache, RulesCache } from '../../src/scaleway/rules-cache.js';
import { createLogCapture } from '../helpers/log-capture.js';

const ORG = '11111111-2222-4333-8444-555555555555';

function policy(id: string, updatedAt = '2026-01-01T00:00:00.000000Z', nbRules = 1): Policy {
  return {
    id,
    name: id,
    description: '',
    organizationId: ORG,
    createdAt: '2026-01-01T00:00:00.000000Z',
    updatedAt,
    nbRules,
    nbScopes: 1,
    nbPermissionSets: 1,
    tags: [],
    principal: { type: 'none' },
    editable: true,
    deletable: true,
    managed: false,
  } as Policy;
}

const RULES: Rule[] = [
  {
    id: 'r-1',
    permissionSetNames: ['IAMReadOnly'],
    permissionSetsScopeType: 'organization',
    condition: '',
    scope: { type: 'organization', organizationId: ORG },
  },
  {
    id: 'r-2',
    permissionSetNames: ['ObjectStorageReadOnly', 'InstancesReadOnly'],
    permissionSetsScopeType: 'projects',
    condition: 'request.ip in ["10.0.0.0/8"]',
    scope: { type: 'projects', projectIds: ['p-1', 'p-2'] },
  },
];

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rules-cache-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileRulesCache', () => {
  it('round-trips rules through the file, keyed by organization, policy, updated_at and counters', async () => {
    const a = await FileRulesCache.open({ dir, organizationId: ORG });
    expect(a.size).toBe(0);
    a.set(policy('p-a'), RULES);
    a.set(policy('p-b'), [RULES[0]!]);
    expect(a.dirty).toBe(true);
    await a.flush();
    expect(a.dirty).toBe(false);
    expect(await readdir(dir)).toEqual([`rules-${ORG}.json`]); // no temporary file left behind

    const b = await FileRulesCache.open({ dir, organizationId: ORG });
    expect(b.size).toBe(2);
    expect(b.dirty).toBe(false);
    expect(b.get(policy('p-a'))).toEqual(RULES);
    // any change of updated_at or of a counter is a miss
    expect(b.get(policy('p-a', '2026-01-02T00:00:00.000000Z'))).toBeUndefined();
    expect(b.get(policy('p-a', undefined, 2))).toBeUndefined();
    // another organization has its own file
    const other = await FileRulesCache.open({ dir, organizationId: '99999999-2222-4333-8444-555555555555' });
    expect(other.size).toBe(0);
    // deleted policies are dropped at the next flush
    b.retain(new Set(['p-b']));
    await b.flush();
    expect((await FileRulesCache.open({ dir, organizationId: ORG })).size).toBe(1);
  });

  it('ignores a corrupt, foreign or damaged file with a debug line and starts empty', async () => {
    const file = join(dir, `rules-${ORG}.json`);
    const valid = async () => {
      const c = await FileRulesCache.open({ dir, organizationId: ORG });
      c.set(policy('p-a'), RULES);
      await c.flush();
      return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    };
    const doc = await valid();
    const policies = doc['policies'] as Record<string, Record<string, unknown>>;
    const cases: Array<[string, string]> = [
      ['not JSON', '{"format": "scw-gitops/rules-cache", '],
      ['another format or version', JSON.stringify({ ...doc, version: 2 })],
      ['another format or version', JSON.stringify({ ...doc, format: 'something-else' })],
      ['another organization', JSON.stringify({ ...doc, organizationId: 'someone-else' })],
      ['no policies object', JSON.stringify({ ...doc, policies: [] })],
      [
        'malformed entry',
        JSON.stringify({ ...doc, policies: { 'p-a': { ...policies['p-a'], nbRules: -1 } } }),
      ],
      [
        'undecodable rule',
        JSON.stringify({
          ...doc,
          policies: { 'p-a': { ...policies['p-a'], rules: [{ permission_set_names: ['X'] }] } },
        }),
      ],
      ['another format or version', 'null'],
    ];
    for (const [reason, text] of cases) {
      await writeFile(file, text);
      const cap = createLogCapture({ level: 'debug' });
      const c = await FileRulesCache.open({ dir, organizationId: ORG, logger: cap.logger });
      expect(c.size, reason).toBe(0);
      const lines = cap.find('rules cache: ignoring the cache file');
      expect(lines, reason).toHaveLength(1);
      expect(String(lines[0]!['reason']), reason).toContain(reason);
      expect(lines[0]!['level']).toBe(20); // debug
    }
    // a directory where the file should be
    await rm(file);
    await mkdir(file);
    const cap = createLogCapture({ level: 'debug' });
    expect((await FileRulesCache.open({ dir, organizationId: ORG, logger: cap.logger })).size).toBe(0);
    expect(cap.find('rules cache: ignoring the cache file')).toHaveLength(1);
  });

  it('a missing file is simply an empty cache, and an odd organization id stays in memory', async () => {
    const cap = createLogCapture({ level: 'debug' });
    const c = await FileRulesCache.open({
      dir: join(dir, 'not-yet'),
      organizationId: ORG,
      logger: cap.logger,
    });
    expect(c.size).toBe(0);
    expect(cap.lines).toEqual([]);
    c.set(policy('p'), RULES);
    await c.flush(); // creates the directory
    expect(await readdir(join(dir, 'not-yet'))).toEqual([`rules-${ORG}.json`]);
    const odd = await FileRulesCache.open({ dir, organizationId: '../../etc/passwd' });
    expect(odd).not.toBeInstanceOf(FileRulesCache);
    expect(odd).toBeInstanceOf(RulesCache);
  });

  it('an unwritable cache directory never fails: one warning, then quiet', async () => {
    const notADir = join(dir, 'file');
    await writeFile(notADir, 'a file where the cache directory should be');
    const cap = createLogCapture({ level: 'debug' });
    const c = await FileRulesCache.open({ dir: notADir, organizationId: ORG, logger: cap.logger });
    c.set(policy('p'), RULES);
    await c.flush();
    c.set(policy('q'), RULES);
    await c.flush();
    const lines = cap.find('rules cache: cannot write the cache file');
    expect(lines.map((l) => l['level'])).toEqual([40, 20]);
    expect(await readdir(dir)).toEqual(['file']);
  });
});

describe('the rules cache across runs, against the sandbox', () => {
  let sandbox: SandboxHandle | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  it('a second process reads only the rules of the policy that changed', async () => {
    sandbox = await startSandbox({ env: {} });
    const sb = sandbox;
    const client = () =>
      createScalewayClient({
        apiUrl: sb.url,
        secretKey: new Secret(sb.adminSecretKey),
        organizationId: sb.organizationId,
        retry: { retries: 2, minTimeoutMs: 1, maxTimeoutMs: 5 },
      });
    const org = { type: 'organization' as const, organizationId: sb.organizationId };
    const c = client();
    const ids: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      const p = await c.createPolicy({
        name,
        description: '',
        tags: ['scw-gitops=prod'],
        principal: { type: 'none' },
        rules: [{ permissionSetNames: ['IAMReadOnly'], scope: org }],
      });
      ids.push(p.id);
    }
    const rulesReads = () => sb.requests().filter((r) => r.path.startsWith('/iam/v1alpha1/rules')).length;
    // each "run" is a fresh client and a cache opened from the directory, as a new process does
    const run = async () => {
      const cache = await FileRulesCache.open({ dir, organizationId: sb.organizationId });
      const before = rulesReads();
      const live = await observeLive(client(), {
        instance: 'prod',
        now: () => new Date(),
        rulesCache: cache,
      });
      await cache.flush();
      return { reads: rulesReads() - before, live };
    };
    const cold = await run();
    expect(cold.reads).toBe(3);
    const warm = await run();
    expect(warm.reads).toBe(0);
    expect([...warm.live.rules.entries()]).toEqual([...cold.live.rules.entries()]);
    await c.setRules(ids[1]!, [{ permissionSetNames: ['ProjectReadOnly'], scope: org }]);
    const changed = await run();
    expect(changed.reads).toBe(1);
    expect(changed.live.rules.get(ids[1]!)?.[0]?.permissionSetNames).toEqual(['ProjectReadOnly']);
  });
});
