/**
 * A fast subset of `npm run bench` (bench/scenarios/noop.ts), request counts only, never timing:
 * an organization converged by scw-gitops (the sandbox in its own process, the CLI from the
 * sources), then `plan` runs in fresh processes:
 *
 *   - cold (an empty cache directory): each kind listed once per 100 objects, the rules of every
 *     owned policy read once, no write;
 *   - warm (the cache of the cold run): the same listings and no rule read;
 *   - after one policy's rules were written again (same rules, so still a no-op: `PUT /rules`
 *     bumps its updated_at): the rules of that one policy only.
 *
 * None of them makes a point read (the GET by id or lookup by name that precedes each write).
 */
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Org, type RequestsSince, SOURCE_CLI, startOrg } from '../../bench/lib/org-fixture.js';
import { runNode } from '../../bench/lib/proc.js';

const SIZE = { projects: 3, applications: 120, keys: 5, policies: 4, groups: 5 };
// what a no-op lists: one request per 100 objects of each kind
const LISTS = {
  projects: 1, // 3 + the default project
  applications: 2, // 120 + 2 managed VPN gateway applications
  api_keys: 1,
  policies: 1,
  groups: 1,
  permission_sets: 1,
};

let org: Org;
beforeAll(async () => {
  org = await startOrg(SIZE, { cli: SOURCE_CLI });
}, 180_000);
afterAll(async () => {
  await org?.close();
});

async function plan(cacheDir: string): Promise<RequestsSince> {
  const { value, requests } = await org.requests(() =>
    runNode([...org.cli, 'plan', '--config', org.settingsFile, '--cache-dir', cacheDir], {
      env: org.env(),
      cwd: org.base,
    }),
  );
  expect(value.stderr).toBe('');
  expect(value.code).toBe(0); // no changes
  return requests;
}

describe('bench smoke: request counts of a no-op', { timeout: 120_000 }, () => {
  it('cold lists each kind once per 100 objects and reads each owned policy rules once; warm reads no rules; a touched policy is read alone', async () => {
    const cache = await mkdtemp(join(org.base, 'cache-'));
    expect(org.resources).toBe(137);

    const cold = await plan(cache);
    expect(cold.writes).toBe(0);
    expect(cold.pointReads).toBe(0);
    expect(cold.byKind).toEqual({ ...LISTS, rules: SIZE.policies });

    const warm = await plan(cache);
    expect(warm.writes).toBe(0);
    expect(warm.pointReads).toBe(0);
    expect(warm.byKind).toEqual(LISTS);
    expect(warm.total).toBe(7);

    // write one owned policy's rules again, unchanged: its updated_at moves, nothing else does
    const { url, adminSecretKey } = org.sandbox.ready;
    const auth = { 'X-Auth-Token': adminSecretKey, 'Content-Type': 'application/json' };
    const policies = (await (
      await fetch(`${url}/iam/v1alpha1/policies?page_size=100&tag=scw-gitops%3Ddefault`, { headers: auth })
    ).json()) as { policies: Array<{ id: string }> };
    const id = policies.policies[0]!.id;
    const { rules } = (await (
      await fetch(`${url}/iam/v1alpha1/rules?policy_id=${id}`, { headers: auth })
    ).json()) as {
      rules: Array<Record<string, unknown>>;
    };
    const put = await fetch(`${url}/iam/v1alpha1/rules`, {
      method: 'PUT',
      headers: auth,
      body: JSON.stringify({
        policy_id: id,
        rules: rules.map(({ permission_set_names, condition, project_ids, organization_id }) => ({
          permission_set_names,
          condition,
          ...(project_ids ? { project_ids } : { organization_id }),
        })),
      }),
    });
    expect(put.status).toBe(200);

    const touched = await plan(cache);
    expect(touched.writes).toBe(0);
    expect(touched.pointReads).toBe(0);
    expect(touched.byKind).toEqual({ ...LISTS, rules: 1 });
  });
});
