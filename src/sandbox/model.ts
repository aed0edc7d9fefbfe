/**
 * Records the sandbox keeps, in wire vocabulary (snake_case), so persistence is a plain
 * JSON dump. Serialisation (key order, computed fields) is in serialize.ts.
 */
import type { ScopeType } from './catalogue.js';

export interface ProjectRecord {
  id: string;
  name: string;
  organization_id: string;
  created_at: string;
  updated_at: string;
  description: string;
  /** Set through POST …/project-qualification; GET/list show `unknown_architecture_type` otherwise. */
  qualification?: Record<string, unknown>;
}

export interface ApplicationRecord {
  id: string;
  name: string;
  description: string;
  created_at: string;
  updated_at: string;
  organization_id: string;
  editable: boolean;
  deletable: boolean;
  managed: boolean;
  tags: string[];
}

export type Bearer = { application_id: string } | { user_id: string };

export interface ApiKeyRecord {
  access_key: string;
  /** Kept so the key works as an X-Auth-Token; only ever serialised in the POST response. */
  secret_key: string;
  description: string;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  /** Microseconds since the epoch of expires_at (for sorting and expiry), null when never. */
  expires_us: number | null;
  default_project_id: string;
  editable: boolean;
  deletable: boolean;
  managed: boolean;
  creation_ip: string;
  bearer: Bearer;
}

export interface GroupRecord {
  id: string;
  created_at: string;
  updated_at: string;
  organization_id: string;
  name: string;
  description: string;
  user_ids: string[];
  application_ids: string[];
  tags: string[];
  editable: boolean;
  deletable: boolean;
  managed: boolean;
}

export type Principal =
  | { user_id: string }
  | { group_id: string }
  | { application_id: string }
  | { no_principal: true };

export type RuleScope =
  | { project_ids: string[] }
  | { organization_id: string }
  | { account_root_user_id: string };

export interface RuleRecord {
  id: string;
  permission_set_names: string[];
  permission_sets_scope_type: ScopeType;
  condition: string;
  scope: RuleScope;
}

export interface PolicyRecord {
  id: string;
  name: string;
  description: string;
  organization_id: string;
  created_at: string;
  updated_at: string;
  editable: boolean;
  deletable: boolean;
  managed: boolean;
  tags: string[];
  principal: Principal;
  rules: RuleRecord[];
}

export interface UserRecord {
  id: string;
  email: string;
  username: string;
  first_name: string;
  last_name: string;
  phone_number: string;
  locale: string;
  created_at: string;
  updated_at: string;
  organization_id: string;
  deletable: boolean;
  last_login_at: string | null;
  type: 'owner' | 'member' | 'guest';
  two_factor_enabled: boolean;
  status: string;
  mfa: boolean;
  account_root_user_id: string;
  tags: string[];
  locked: boolean;
}

/** Everything persisted in the state file. */
export interface SandboxState {
  version: 1;
  organization_id: string;
  owner_user_id: string;
  admin_access_key: string;
  users: UserRecord[];
  projects: ProjectRecord[];
  applications: ApplicationRecord[];
  api_keys: ApiKeyRecord[];
  groups: GroupRecord[];
  policies: PolicyRecord[];
}
