/**
 * Replays every recorded cassette (cassettes/terraform: go-vcr v2 + one 2022 v1 file;
 * cassettes/cli: v1) against a fresh sandbox and compares each answer with the recording:
 * status, Content-Type presence, key sets AND order, value types and formats (UUID, 6-digit
 * timestamps, access keys, null vs absent), values that follow from the requests (names, tags,
 * counters, expires_at, member ids through the id map), created_at==updated_at relations, and
 * list counts/order (pre-existing org content is seeded from the recording; see cassette-replay.ts).
 *
 * What cannot be replayed, and why:
 *
 * | cassette | records | why |
 * |---|---|---|
 * | terraform/api-key-ephemeral-resource-default-project | 37 Secret Manager calls skipped | other product (secret-manager), not emulated; the 8 IAM calls replay |
 * | cli/test-init-ssh-key-unregistered | 3 ssh-keys calls skipped | `/iam/v1alpha1/ssh-keys` is out of scope; the 2 api-key 403s replay with a key that has no IAM rights |
 * | cli/test-init-cl-iv2-config-no-prompt-overwrite-for-new-profile | — | replayed with an unknown token (the recorded 401) |
 * | cli/test-{create,delete}-rule-simple, test-get-policy-with-rules-simple | POST/PUT bodies rebuilt | the v1 CLI recorder stored the response as request body; the request is rebuilt from the response (+ the later GET /rules) |
 *
 * Record-level exceptions (listed in EXCEPTIONS below, each must still match something):
 * the API's response shapes evolved (2022: no deletable/managed/tags on applications, groups
 * without tags/editable/deletable/managed, 404 resource "iam_group", group members in insertion
 * order; 2023: API keys without deletable/managed; 2024: projects without qualification,
 * policies without deletable/managed). The sandbox emulates the current (2025–2026) API.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CASSETTE_DIR,
  loadCassette,
  type Mismatch,
  replayCassette,
  type ReplayOptions,
} from './cassette-replay.js';

interface Exception {
  cassette: string;
  /** Interaction indexes (as in the cassette) or 'all'. */
  records: readonly number[] | 'all';
  problem: RegExp;
  reason: string;
}

const KEYS = /^\$(\.\w+\[\d+\])?: keys \[/;

const EXCEPTIONS: readonly Exception[] = [
  {
    cassette: 'terraform/iam-group-applications.cassette.yaml',
    records: 'all',
    problem: KEYS,
    reason:
      '2022 API: applications lacked deletable/managed/tags, groups lacked tags/editable/deletable/managed',
  },
  {
    cassette: 'terraform/iam-group-applications.cassette.yaml',
    records: [15, 17, 20, 23, 24],
    problem: /^\$\.application_ids\[\d\]: /,
    reason: '2022 API listed group members in insertion order; 2025+ recordings list them ordered by id',
  },
  {
    cassette: 'terraform/iam-group-applications.cassette.yaml',
    records: [45],
    problem: /^\$\.resource: "group" \(recorded "iam_group"\)$/,
    reason: '2022 404 named the resource "iam_group"; current API says "group"',
  },
  {
    cassette: 'cli/test-check-api-key-basic.cassette.yaml',
    records: [0, 1, 2],
    problem: KEYS,
    reason: '2023 API keys had no deletable/managed',
  },
  {
    cassette: 'cli/test-create-rule-simple.cassette.yaml',
    records: [0, 1],
    problem: KEYS,
    reason: '2024: projects had no qualification, policies had no deletable/managed',
  },
  {
    cassette: 'cli/test-delete-rule-simple.cassette.yaml',
    records: [0, 1, 2],
    problem: KEYS,
    reason: '2024: projects had no qualification, policies had no deletable/managed',
  },
  {
    cassette: 'cli/test-get-policy-with-rules-simple.cassette.yaml',
    records: [0, 1, 2],
    problem: KEYS,
    reason: '2024: projects had no qualification, policies had no deletable/managed',
  },
];

const TOKENS: Readonly<Record<string, ReplayOptions['token']>> = {
  'cli/test-init-cl-iv2-config-no-prompt-overwrite-for-new-profile.cassette.yaml': 'unknown',
  'cli/test-init-ssh-key-unregistered.cassette.yaml': 'unprivileged',
};

const cassettes = ['terraform', 'cli'].flatMap((dir) =>
  readdirSync(`${CASSETTE_DIR}/${dir}`)
    .filter((f) => f.endsWith('.cassette.yaml'))
    .sort()
    .map((f) => `${dir}/${f}`),
);

function excused(cassette: string, m: Mismatch, used: Set<Exception>): boolean {
  for (const e of EXCEPTIONS) {
    if (e.cassette !== cassette) continue;
    if (e.records !== 'all' && !e.records.includes(m.index)) continue;
    if (!e.problem.test(m.problem)) continue;
    used.add(e);
    return true;
  }
  return false;
}

describe('cassette replay against the sandbox', () => {
  it('finds all 46 recordings', () => {
    expect(cassettes.length).toBe(46);
  });

  for (const name of cassettes) {
    it(`replays ${name}`, async () => {
      const cassette = loadCassette(name);
      const token = TOKENS[name];
      const result = await replayCassette(cassette, token ? { token } : {});
      expect(result.replayed).toBeGreaterThan(0);
      const used = new Set<Exception>();
      const unexplained = result.mismatches.filter((m) => !excused(name, m, used));
      expect(unexplained.map((m) => `${m.request} :: ${m.problem}`)).toEqual([]);
      // Exceptions must stay explicit and current: each one listed for this cassette is still needed.
      const stale = EXCEPTIONS.filter((e) => e.cassette === name && !used.has(e)).map((e) => e.reason);
      expect(stale).toEqual([]);
    });
  }

  it('lists exceptions only for cassettes that exist', () => {
    for (const e of EXCEPTIONS) expect(cassettes).toContain(e.cassette);
  });
});
