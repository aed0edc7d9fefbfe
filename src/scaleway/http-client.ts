/**
 * `ScalewayClient` over HTTP (Account v3 + IAM v1alpha1), built on transport.ts (retries,
 * limiter, errors) and paginate.ts (complete listings).
 *
 * Errors (see errors.ts): `ScalewayApiError` for an API error status, `AmbiguousWriteError`
 * when a create may or may not have happened, `ListingInconsistentError` when a listing kept
 * changing, `TransportError` when retries of an idempotent call ran out on network failures,
 * or the caller's abort reason.
 *
 * Idempotency: reads, PATCH, PUT and DELETE are safe to retry and are retried. Creates (POST)
 * are not re-sent after an ambiguous failure. Deletes treat "404 after an ambiguous attempt"
 * as success; a plain 404 on the first attempt is still thrown (use `isNotFound` to ignore it).
 */
import type { Logger } from 'pino';
import type {
  ApiKey,
  Application,
  Group,
  PermissionSet,
  Policy,
  PolicyPrincipal,
  Project,
  Rule,
  RuleSpec,
} from '../model/live.js';
import type { Secret } from '../model/secret.js';
import type { CallOptions, ListApiKeysFilter, ScalewayClient } from './port.js';
import { AdaptiveLimiter } from './adaptive-limiter.js';
import {
  decodeApiKey,
  decodeApplication,
  decodeCreatedApiKey,
  decodeGroup,
  decodePage,
  decodePermissionSet,
  decodePolicy,
  decodeProject,
  decodeRule,
} from './decode.js';
import { definedOnly, encodePrincipal, encodeRuleSpec } from './encode.js';
import { listAll } from './paginate.js';
import {
  createTransport,
  type QueryValue,
  type RequestEvent,
  type RetrySettings,
  type Transport,
} from './transport.js';

export type { RequestEvent, RetrySettings } from './transport.js';

export interface ScalewayClientOptions {
  /** e.g. `https://api.scaleway.com` (no trailing slash). */
  readonly apiUrl: string;
  readonly secretKey: Secret;
  readonly organizationId: string;
  /**
   * Requests in flight at the start (the adaptive limiter's initial limit). Default 8. It grows
   * to `maxConcurrency` while no 429 is seen and halves at the first one.
   */
  readonly listConcurrency?: number;
  /** Client-wide ceiling of requests in flight (the adaptive limiter's max). Default 16. */
  readonly maxConcurrency?: number;
  /** Per-attempt timeout. Default 30 s. */
  readonly timeoutMs?: number;
  readonly logger?: Logger;
  /** Called once per HTTP attempt (for metrics). */
  readonly onRequest?: (e: RequestEvent) => void;
  readonly retry?: RetrySettings;
  /** Complete re-listings when a listing disagrees with total_count. Default 3. */
  readonly listAttempts?: number;
  /** Test seam. */
  readonly fetch?: typeof fetch;
}

/** The HTTP client plus its limiter, for benchmarks and diagnostics. */
export interface ScalewayHttpClient extends ScalewayClient {
  readonly limiter: AdaptiveLimiter;
}

const ACCOUNT = '/account/v3';
const IAM = '/iam/v1alpha1';

function seg(id: string): string {
  return encodeURIComponent(id);
}

/** The server may match names partially (docs/design/scaleway-api.md §3): keep exact matches only. */
function exact<T>(items: T[], want: string | undefined, get: (t: T) => string): T[] {
  return want === undefined ? items : items.filter((i) => get(i) === want);
}

function withTag<T extends { tags: readonly string[] }>(items: T[], tag: string | undefined): T[] {
  return tag === undefined ? items : items.filter((i) => i.tags.includes(tag));
}

export function createScalewayClient(opts: ScalewayClientOptions): ScalewayHttpClient {
  const maxConcurrency = opts.maxConcurrency ?? 16;
  const limiter = new AdaptiveLimiter({
    max: maxConcurrency,
    initial: Math.min(opts.listConcurrency ?? 8, maxConcurrency),
  });
  const transport: Transport = createTransport({
    apiUrl: opts.apiUrl,
    secretKey: opts.secretKey,
    limiter,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.retry ? { retry: opts.retry } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.onRequest ? { onRequest: opts.onRequest } : {}),
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  const org = opts.organizationId;
  const listAttempts = opts.listAttempts ?? 3;

  function list<T>(
    route: string,
    key: string,
    query: Record<string, QueryValue>,
    decode: (raw: unknown) => T,
    idOf: (t: T) => string,
    call?: CallOptions,
  ): Promise<T[]> {
    return listAll({
      route,
      // as many workers as the limiter may ever admit; it decides how many are in flight
      concurrency: maxConcurrency,
      maxAttempts: listAttempts,
      signal: call?.signal,
      decode,
      idOf,
      onInconsistent: (attempt, expected, received) =>
        opts.logger?.warn(
          { route, attempt, expected, received },
          'scaleway: listing changed while reading it, listing again',
        ),
      fetchPage: async (page, pageSize, signal) => {
        const res = await transport.request({
          method: 'GET',
          path: route,
          route,
          query: { ...query, page, page_size: pageSize },
          signal,
        });
        return decodePage(route, key, res.body);
      },
    });
  }

  async function call(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    route: string,
    o: { body?: unknown; call?: CallOptions | undefined } = {},
  ): Promise<unknown> {
    const res = await transport.request({
      method,
      path,
      route,
      signal: o.call?.signal,
      ...(o.body !== undefined ? { body: o.body } : {}),
    });
    return res.body;
  }

  const projectRoute = `${ACCOUNT}/projects/{project_id}`;
  const appRoute = `${IAM}/applications/{application_id}`;
  const keyRoute = `${IAM}/api-keys/{access_key}`;
  const groupRoute = `${IAM}/groups/{group_id}`;
  const policyRoute = `${IAM}/policies/{policy_id}`;

  const client: ScalewayHttpClient = {
    organizationId: org,
    maxConcurrency,
    limiter,

    // ---- Account v3 projects
    async listProjects(filter, o): Promise<Project[]> {
      const items = await list(
        `${ACCOUNT}/projects`,
        'projects',
        { organization_id: org, name: filter?.name, order_by: 'created_at_asc' },
        decodeProject,
        (p) => p.id,
        o,
      );
      return exact(items, filter?.name, (p) => p.name);
    },
    async getProject(id, o) {
      return decodeProject(await call('GET', `${ACCOUNT}/projects/${seg(id)}`, projectRoute, { call: o }));
    },
    async createProject(input, o) {
      const body = { name: input.name, organization_id: org, description: input.description };
      return decodeProject(
        await call('POST', `${ACCOUNT}/projects`, `${ACCOUNT}/projects`, { body, call: o }),
      );
    },
    async updateProject(id, patch, o) {
      const body = definedOnly({ name: patch.name, description: patch.description });
      return decodeProject(
        await call('PATCH', `${ACCOUNT}/projects/${seg(id)}`, projectRoute, { body, call: o }),
      );
    },
    async deleteProject(id, o) {
      await call('DELETE', `${ACCOUNT}/projects/${seg(id)}`, projectRoute, { call: o });
    },

    // ---- IAM applications
    async listApplications(filter, o): Promise<Application[]> {
      const items = await list(
        `${IAM}/applications`,
        'applications',
        {
          organization_id: org,
          name: filter?.name,
          tag: filter?.tag,
          editable: filter?.editable,
          order_by: 'created_at_asc',
        },
        decodeApplication,
        (a) => a.id,
        o,
      );
      return withTag(
        exact(items, filter?.name, (a) => a.name),
        filter?.tag,
      );
    },
    async getApplication(id, o) {
      return decodeApplication(await call('GET', `${IAM}/applications/${seg(id)}`, appRoute, { call: o }));
    },
    async createApplication(input, o) {
      const body = {
        name: input.name,
        organization_id: org,
        description: input.description,
        tags: [...input.tags],
      };
      return decodeApplication(
        await call('POST', `${IAM}/applications`, `${IAM}/applications`, { body, call: o }),
      );
    },
    async updateApplication(id, patch, o) {
      const body = definedOnly({
        name: patch.name,
        description: patch.description,
        tags: patch.tags ? [...patch.tags] : undefined,
      });
      return decodeApplication(
        await call('PATCH', `${IAM}/applications/${seg(id)}`, appRoute, { body, call: o }),
      );
    },
    async deleteApplication(id, o) {
      await call('DELETE', `${IAM}/applications/${seg(id)}`, appRoute, { call: o });
    },

    // ---- IAM API keys
    async listApiKeys(filter?: ListApiKeysFilter, o?: CallOptions): Promise<ApiKey[]> {
      return list(
        `${IAM}/api-keys`,
        'api_keys',
        {
          organization_id: org,
          bearer_id: filter?.bearerId,
          bearer_type: filter?.bearerType,
          expired: filter?.expired,
          editable: filter?.editable,
          description: filter?.description,
          order_by: 'created_at_asc',
        },
        decodeApiKey,
        (k) => k.accessKey,
        o,
      );
    },
    async getApiKey(accessKey, o) {
      return decodeApiKey(await call('GET', `${IAM}/api-keys/${seg(accessKey)}`, keyRoute, { call: o }));
    },
    async createApiKey(input, o) {
      const body = definedOnly({
        application_id: input.applicationId,
        description: input.description,
        default_project_id: input.defaultProjectId,
        expires_at: input.expiresAt ?? undefined,
      });
      return decodeCreatedApiKey(await call('POST', `${IAM}/api-keys`, `${IAM}/api-keys`, { body, call: o }));
    },
    async updateApiKey(accessKey, patch, o) {
      const body = definedOnly({
        description: patch.description,
        default_project_id: patch.defaultProjectId,
        expires_at: patch.expiresAt,
      });
      return decodeApiKey(
        await call('PATCH', `${IAM}/api-keys/${seg(accessKey)}`, keyRoute, { body, call: o }),
      );
    },
    async deleteApiKey(accessKey, o) {
      await call('DELETE', `${IAM}/api-keys/${seg(accessKey)}`, keyRoute, { call: o });
    },

    // ---- IAM groups
    async listGroups(filter, o): Promise<Group[]> {
      const items = await list(
        `${IAM}/groups`,
        'groups',
        { organization_id: org, name: filter?.name, tag: filter?.tag, order_by: 'created_at_asc' },
        decodeGroup,
        (g) => g.id,
        o,
      );
      return withTag(
        exact(items, filter?.name, (g) => g.name),
        filter?.tag,
      );
    },
    async getGroup(id, o) {
      return decodeGroup(await call('GET', `${IAM}/groups/${seg(id)}`, groupRoute, { call: o }));
    },
    async createGroup(input, o) {
      const body = {
        organization_id: org,
        name: input.name,
        description: input.description,
        tags: [...input.tags],
      };
      return decodeGroup(await call('POST', `${IAM}/groups`, `${IAM}/groups`, { body, call: o }));
    },
    async updateGroup(id, patch, o) {
      const body = definedOnly({
        name: patch.name,
        description: patch.description,
        tags: patch.tags ? [...patch.tags] : undefined,
      });
      return decodeGroup(await call('PATCH', `${IAM}/groups/${seg(id)}`, groupRoute, { body, call: o }));
    },
    async setGroupMembers(id, members, o) {
      const body = { user_ids: [...members.userIds], application_ids: [...members.applicationIds] };
      return decodeGroup(
        await call('PUT', `${IAM}/groups/${seg(id)}/members`, `${groupRoute}/members`, { body, call: o }),
      );
    },
    async deleteGroup(id, o) {
      await call('DELETE', `${IAM}/groups/${seg(id)}`, groupRoute, { call: o });
    },

    // ---- IAM policies and rules
    async listPolicies(filter, o): Promise<Policy[]> {
      const items = await list(
        `${IAM}/policies`,
        'policies',
        {
          organization_id: org,
          policy_name: filter?.policyName,
          tag: filter?.tag,
          editable: filter?.editable,
          order_by: 'created_at_asc',
        },
        decodePolicy,
        (p) => p.id,
        o,
      );
      return withTag(
        exact(items, filter?.policyName, (p) => p.name),
        filter?.tag,
      );
    },
    async getPolicy(id, o) {
      return decodePolicy(await call('GET', `${IAM}/policies/${seg(id)}`, policyRoute, { call: o }));
    },
    async createPolicy(input, o) {
      const body = {
        name: input.name,
        description: input.description,
        organization_id: org,
        rules: input.rules.map(encodeRuleSpec),
        tags: [...input.tags],
        ...encodePrincipal(input.principal),
      };
      return decodePolicy(await call('POST', `${IAM}/policies`, `${IAM}/policies`, { body, call: o }));
    },
    async updatePolicy(
      id: string,
      patch: { name?: string; description?: string; tags?: readonly string[]; principal?: PolicyPrincipal },
      o?: CallOptions,
    ) {
      const body = {
        ...definedOnly({
          name: patch.name,
          description: patch.description,
          tags: patch.tags ? [...patch.tags] : undefined,
        }),
        ...(patch.principal ? encodePrincipal(patch.principal) : {}),
      };
      return decodePolicy(await call('PATCH', `${IAM}/policies/${seg(id)}`, policyRoute, { body, call: o }));
    },
    async deletePolicy(id, o) {
      await call('DELETE', `${IAM}/policies/${seg(id)}`, policyRoute, { call: o });
    },
    async listRules(policyId, o): Promise<Rule[]> {
      return list(`${IAM}/rules`, 'rules', { policy_id: policyId }, decodeRule, (r) => r.id, o);
    },
    async setRules(policyId: string, rules: readonly RuleSpec[], o?: CallOptions): Promise<Rule[]> {
      const body = { policy_id: policyId, rules: rules.map(encodeRuleSpec) };
      const raw = await call('PUT', `${IAM}/rules`, `${IAM}/rules`, { body, call: o });
      return decodePage(`${IAM}/rules`, 'rules', raw).items.map(decodeRule);
    },
    async listPermissionSets(o): Promise<PermissionSet[]> {
      return list(
        `${IAM}/permission-sets`,
        'permission_sets',
        { organization_id: org, order_by: 'name_asc' },
        decodePermissionSet,
        (p) => p.id,
        o,
      );
    },
  };
  return client;
}
