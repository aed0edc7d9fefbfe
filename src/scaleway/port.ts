/**
 * The port through which everything talks to Scaleway. Implemented by `ScalewayHttpClient`
 * (src/scaleway/http-client.ts, ky over HTTP) and by test fakes. Every method takes an optional
 * AbortSignal. Errors: `ScalewayApiError` (HTTP status + decoded body), `AmbiguousWriteError`
 * (a non-idempotent call may or may not have happened: look the object up before retrying),
 * `ListingInconsistentError` (the organization kept changing during a listing), or the
 * signal's abort reason.
 *
 * List methods return complete lists (every page, de-duplicated, count checked against
 * `total_count`); never a silently truncated list.
 */
import type { Secret } from '../model/secret.js';
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

export interface CallOptions {
  readonly signal?: AbortSignal;
}

export interface ListApiKeysFilter {
  readonly bearerId?: string;
  readonly bearerType?: 'application' | 'user';
  readonly expired?: boolean;
  readonly editable?: boolean;
  readonly description?: string;
}

export interface ScalewayClient {
  readonly organizationId: string;
  /**
   * Requests the client may have in flight at most (its limiter's ceiling), for callers that size
   * a pool of workers (one rules read per policy). Absent: 16.
   */
  readonly maxConcurrency?: number;

  // Account v3 projects
  listProjects(filter?: { name?: string }, opts?: CallOptions): Promise<Project[]>;
  getProject(id: string, opts?: CallOptions): Promise<Project>;
  createProject(input: { name: string; description: string }, opts?: CallOptions): Promise<Project>;
  updateProject(
    id: string,
    patch: { name?: string; description?: string },
    opts?: CallOptions,
  ): Promise<Project>;
  deleteProject(id: string, opts?: CallOptions): Promise<void>;

  // IAM applications
  listApplications(
    filter?: { name?: string; tag?: string; editable?: boolean },
    opts?: CallOptions,
  ): Promise<Application[]>;
  getApplication(id: string, opts?: CallOptions): Promise<Application>;
  createApplication(
    input: { name: string; description: string; tags: readonly string[] },
    opts?: CallOptions,
  ): Promise<Application>;
  updateApplication(
    id: string,
    patch: { name?: string; description?: string; tags?: readonly string[] },
    opts?: CallOptions,
  ): Promise<Application>;
  deleteApplication(id: string, opts?: CallOptions): Promise<void>;

  // IAM API keys
  listApiKeys(filter?: ListApiKeysFilter, opts?: CallOptions): Promise<ApiKey[]>;
  getApiKey(accessKey: string, opts?: CallOptions): Promise<ApiKey>;
  /** The only place a secret comes into existence. Never retried blindly (see AmbiguousWriteError). */
  createApiKey(
    input: {
      applicationId: string;
      description: string;
      defaultProjectId?: string;
      expiresAt?: string | null;
    },
    opts?: CallOptions,
  ): Promise<{ apiKey: ApiKey; secretKey: Secret }>;
  updateApiKey(
    accessKey: string,
    patch: { description?: string; defaultProjectId?: string; expiresAt?: string | null },
    opts?: CallOptions,
  ): Promise<ApiKey>;
  deleteApiKey(accessKey: string, opts?: CallOptions): Promise<void>;

  // IAM groups
  listGroups(filter?: { name?: string; tag?: string }, opts?: CallOptions): Promise<Group[]>;
  getGroup(id: string, opts?: CallOptions): Promise<Group>;
  createGroup(
    input: { name: string; description: string; tags: readonly string[] },
    opts?: CallOptions,
  ): Promise<Group>;
  updateGroup(
    id: string,
    patch: { name?: string; description?: string; tags?: readonly string[] },
    opts?: CallOptions,
  ): Promise<Group>;
  /** Full overwrite of the membership (PUT /members). */
  setGroupMembers(
    id: string,
    members: { applicationIds: readonly string[]; userIds: readonly string[] },
    opts?: CallOptions,
  ): Promise<Group>;
  deleteGroup(id: string, opts?: CallOptions): Promise<void>;

  // IAM policies and rules
  listPolicies(
    filter?: { policyName?: string; tag?: string; editable?: boolean },
    opts?: CallOptions,
  ): Promise<Policy[]>;
  getPolicy(id: string, opts?: CallOptions): Promise<Policy>;
  createPolicy(
    input: {
      name: string;
      description: string;
      tags: readonly string[];
      principal: PolicyPrincipal;
      rules: readonly RuleSpec[];
    },
    opts?: CallOptions,
  ): Promise<Policy>;
  updatePolicy(
    id: string,
    patch: { name?: string; description?: string; tags?: readonly string[]; principal?: PolicyPrincipal },
    opts?: CallOptions,
  ): Promise<Policy>;
  deletePolicy(id: string, opts?: CallOptions): Promise<void>;
  listRules(policyId: string, opts?: CallOptions): Promise<Rule[]>;
  /** Replaces all rules; every rule gets a new id. */
  setRules(policyId: string, rules: readonly RuleSpec[], opts?: CallOptions): Promise<Rule[]>;
  listPermissionSets(opts?: CallOptions): Promise<PermissionSet[]>;
}
