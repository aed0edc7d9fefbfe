/**
 * The commit status APIs of GitHub and GitLab, on loopback, for tests:
 *
 *   POST /repos/{owner}/{repo}/statuses/{sha}     GitHub: `Authorization: Bearer <token>`,
 *        { state: pending|success|failure|error, description?, context?, target_url? } → 201
 *   POST /projects/{id}/statuses/{sha}            GitLab (id: number or URL-encoded path):
 *        `PRIVATE-TOKEN: <token>`, { state: pending|running|success|failed|canceled|skipped,
 *        name?, context?, description?, target_url?, ref? } → 201
 *
 * As the real APIs: a wrong token gets 401, an unknown state 422 (GitHub) / 400 (GitLab), a
 * description over 140 characters 422 on GitHub, an unknown repository 404. `failNext(n, status)`
 * makes the next n requests fail (503, 429, …) to test retries. `statuses` holds every accepted
 * status with the raw body and the request headers minus the credential.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedStatus {
  readonly provider: 'github' | 'gitlab';
  /** `owner/repo`, or the GitLab project id/path as given (decoded). */
  readonly repository: string;
  readonly sha: string;
  readonly body: Record<string, unknown>;
  readonly rawBody: string;
  /** Request headers without Authorization / PRIVATE-TOKEN. */
  readonly headers: Record<string, string>;
}

export interface StatusApi {
  readonly url: string;
  readonly statuses: RecordedStatus[];
  /** Every request, including the failed ones (status code). */
  readonly attempts: { provider: string; sha: string; status: number }[];
  failNext(count: number, status: number): void;
  close(): Promise<void>;
}

const GITHUB_STATES = new Set(['pending', 'success', 'failure', 'error']);
const GITLAB_STATES = new Set(['pending', 'running', 'success', 'failed', 'canceled', 'skipped']);

export async function startStatusApi(opts: {
  readonly token: string;
  /** Known repositories (`owner/repo` or GitLab project paths/ids); others are 404. */
  readonly repositories: readonly string[];
}): Promise<StatusApi> {
  const statuses: RecordedStatus[] = [];
  const attempts: StatusApi['attempts'] = [];
  let failures = 0;
  let failStatus = 503;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const path = (req.url ?? '').split('?')[0]!;
      const gh = /^\/repos\/([^/]+)\/([^/]+)\/statuses\/([0-9a-f]{40})$/.exec(path);
      const gl = /^\/projects\/([^/]+)\/statuses\/([0-9a-f]{40})$/.exec(path);
      const provider = gh ? 'github' : gl ? 'gitlab' : undefined;
      const sha = gh?.[3] ?? gl?.[2] ?? '';
      const record = (status: number) => attempts.push({ provider: provider ?? 'none', sha, status });
      if (req.method !== 'POST' || !provider) {
        record(404);
        return reply(404, { message: 'Not Found' });
      }
      if (failures > 0) {
        failures -= 1;
        record(failStatus);
        return reply(failStatus, { message: 'injected failure' });
      }
      const given = provider === 'github' ? req.headers.authorization : req.headers['private-token'];
      const expected = provider === 'github' ? `Bearer ${opts.token}` : opts.token;
      if (given !== expected) {
        record(401);
        return reply(401, { message: 'Bad credentials' });
      }
      const repository = gh
        ? `${decodeURIComponent(gh[1]!)}/${decodeURIComponent(gh[2]!)}`
        : decodeURIComponent(gl![1]!);
      if (!opts.repositories.includes(repository)) {
        record(404);
        return reply(404, { message: 'Not Found' });
      }
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(rawBody) as Record<string, unknown>;
      } catch {
        record(400);
        return reply(400, { message: 'Problems parsing JSON' });
      }
      const state = String(body['state']);
      if (provider === 'github') {
        if (!GITHUB_STATES.has(state)) {
          record(422);
          return reply(422, { message: 'Validation Failed', errors: [{ field: 'state', code: 'invalid' }] });
        }
        if (typeof body['description'] === 'string' && body['description'].length > 140) {
          record(422);
          return reply(422, {
            message: 'Validation Failed',
            errors: [{ field: 'description', code: 'custom' }],
          });
        }
      } else if (!GITLAB_STATES.has(state)) {
        record(400);
        return reply(400, { message: 'state does not have a valid value' });
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (k === 'authorization' || k === 'private-token' || v === undefined) continue;
        headers[k] = Array.isArray(v) ? v.join(', ') : v;
      }
      statuses.push({ provider, repository, sha, body, rawBody, headers });
      record(201);
      reply(201, { id: statuses.length, state, sha });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    statuses,
    attempts,
    failNext(count, status) {
      failures = count;
      failStatus = status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
