/**
 * The live organization as the Scaleway API reports it, decoded into camelCase domain
 * objects. These are produced by `src/scaleway/decode.ts` from wire JSON (snake_case) and
 * consumed by the planner. They carry no secrets: `ApiKey` never has a secret key here;
 * the one-time secret travels separately as a `Secret` (see ScalewayClient.createApiKey).
 *
 * Timestamps stay ISO strings exactly as received (µs precision, `Z`).
 */

export interface Project {
  readonly id: string;
  readonly name: string;
  readonly organizationId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly description: string;
  /** true when `id === organizationId` (Scaleway's default project: never renamed or deleted). */
  readonly isDefault: boolean;
}

interface IamFlags {
  readonly editable: boolean;
  readonly deletable: boolean;
  readonly managed: boolean;
}

/** Why scw-gitops must leave an object alone ('managed by Scaleway, not deletable'), or ''. */
export function protectionReasons(o: IamFlags): string {
  return [
    o.managed ? 'managed by Scaleway' : '',
    o.editable ? '' : 'not editable',
    o.deletable ? '' : 'not deletable',
  ]
    .filter(Boolean)
    .join(', ');
}

export interface Application extends IamFlags {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly organizationId: string;
  readonly nbApiKeys: number;
  readonly tags: readonly string[];
}

export type ApiKeyBearer =
  | { readonly type: 'application'; readonly id: string }
  | { readonly type: 'user'; readonly id: string };

export interface ApiKey extends IamFlags {
  readonly accessKey: string;
  readonly description: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** null = never expires. */
  readonly expiresAt: string | null;
  readonly defaultProjectId: string;
  readonly creationIp: string;
  readonly bearer: ApiKeyBearer;
}

export interface Group extends IamFlags {
  readonly id: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly organizationId: string;
  readonly name: string;
  readonly description: string;
  readonly userIds: readonly string[];
  readonly applicationIds: readonly string[];
  readonly tags: readonly string[];
}

export type PolicyPrincipal =
  | { readonly type: 'user'; readonly id: string }
  | { readonly type: 'group'; readonly id: string }
  | { readonly type: 'application'; readonly id: string }
  | { readonly type: 'none' };

export interface Policy extends IamFlags {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly organizationId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly nbRules: number;
  readonly nbScopes: number;
  readonly nbPermissionSets: number;
  readonly tags: readonly string[];
  readonly principal: PolicyPrincipal;
}

export type RuleScope =
  | { readonly type: 'projects'; readonly projectIds: readonly string[] }
  | { readonly type: 'organization'; readonly organizationId: string }
  | { readonly type: 'account_root_user'; readonly accountRootUserId: string };

export interface Rule {
  readonly id: string;
  readonly permissionSetNames: readonly string[];
  readonly permissionSetsScopeType: string;
  readonly condition: string;
  readonly scope: RuleScope;
}

/** Input form of a rule (PUT /rules, POST /policies). */
export interface RuleSpec {
  readonly permissionSetNames: readonly string[];
  readonly condition?: string;
  readonly scope:
    | { readonly type: 'projects'; readonly projectIds: readonly string[] }
    | { readonly type: 'organization'; readonly organizationId: string };
}

export interface PermissionSet {
  readonly id: string;
  readonly name: string;
  readonly scopeType: string;
  readonly description: string;
  readonly categories: readonly string[];
}

/**
 * Everything the planner looks at. Lists are complete (never truncated); `rules` holds the
 * rules of the policies whose rules were read, by policy id.
 */
export interface LiveState {
  readonly organizationId: string;
  readonly projects: readonly Project[];
  readonly applications: readonly Application[];
  readonly apiKeys: readonly ApiKey[];
  readonly groups: readonly Group[];
  readonly policies: readonly Policy[];
  readonly rules: ReadonlyMap<string, readonly Rule[]>;
  /** The organization's permission-set catalogue, when it was read (policy validation). */
  readonly permissionSets?: readonly PermissionSet[];
  /** When the listing finished (ISO). */
  readonly observedAt: string;
}
