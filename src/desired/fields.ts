/**
 * The desired-state format, defined once. Both the validator (`check-fields.ts`) and the JSON
 * Schema (`json-schema.ts` → `schema/scw-gitops.schema.json`) are derived from these tables, so the
 * editor and `scw-gitops validate` agree on every field name, type and per-field limit.
 *
 * What cannot be expressed per field (description + ownership marker ≤ 200, expiry in the future,
 * rotation arithmetic, references between resources, duplicates) lives in `validate.ts`.
 *
 * Limits come from the API (docs/design/scaleway-api.md §4–§8): names 1–64 chars with a per-kind pattern, descriptions
 * ≤ 200, ≤ 10 tags (one of which is our ownership tag, so ≤ 9 user tags), conditions ≤ 2048.
 */
import { OWNER_TAG_PREFIX, PREVENT_DESTROY_TAG_PREFIX } from '../model/ownership.js';
import type { Kind } from '../model/resources.js';
import { DURATION_PATTERN } from '../model/duration.js';

export interface StringType {
  readonly type: 'string';
  readonly minLength?: number;
  readonly maxLength?: number;
  /** ECMAScript regex source (used as-is in the JSON Schema). */
  readonly pattern?: string;
  /** What the pattern means, in words; used as the validator's message when the pattern fails. */
  readonly patternHint?: string;
  readonly enum?: readonly string[];
  /** Semantic format checked by the validator (the pattern already constrains the syntax). */
  readonly format?: 'duration' | 'date-time';
}

export interface BooleanType {
  readonly type: 'boolean';
  readonly const?: boolean;
}

export interface ArrayType {
  readonly type: 'array';
  readonly items: FieldType;
  readonly minItems?: number;
  readonly maxItems?: number;
  /** Explains maxItems (e.g. the ownership tag counts against the API limit). */
  readonly maxItemsHint?: string;
  readonly uniqueItems?: boolean;
}

export interface ObjectType {
  readonly type: 'object';
  readonly fields: Readonly<Record<string, Field>>;
  /** Each group: exactly one of these fields must be present. */
  readonly exactlyOneOf?: readonly (readonly string[])[];
  /** Each group: at most one of these fields may be present. */
  readonly atMostOneOf?: readonly (readonly string[])[];
}

export type FieldType = StringType | BooleanType | ArrayType | ObjectType;

export interface Field {
  readonly type: FieldType;
  readonly required?: boolean;
  /** Shown on editor hover (JSON Schema `description`) and in `--help`-style docs. */
  readonly description: string;
  /** Diagnostic code for a value that breaks this field's constraints (default per constraint). */
  readonly code?: string;
}

export interface KindTable {
  readonly kind: Kind;
  readonly description: string;
  readonly metadata: ObjectType;
  readonly spec: ObjectType;
  /** `spec:` must be present (it has required fields). */
  readonly specRequired: boolean;
}

// ---------------------------------------------------------------- shared pieces

export const MAX_NAME_LENGTH = 64;
export const MAX_DESCRIPTION_LENGTH = 200;
/** API limit on tags per application, group or policy; one of them is our ownership tag. */
export const MAX_TAGS = 10;
export const MAX_USER_TAGS = MAX_TAGS - 1;
export const MAX_CONDITION_LENGTH = 2048;

/** docs/design/scaleway-api.md §4: project names. */
export const PROJECT_NAME_PATTERN = '^[a-zA-Z0-9._ -]+$';
/** docs/design/scaleway-api.md §5, §7, §8: application, group and policy names (words separated by spaces). */
export const IAM_NAME_PATTERN = '^[\\w().-]+( +[\\w().-]+)*$';
/**
 * API keys have no name at Scaleway; `metadata.name` is ours. It becomes a file name (file sink),
 * a Vault path segment and the default Kubernetes Secret name, and it is embedded in the key's
 * description marker `[scw-gitops:<instance>:<name>:<state>]`. So it is a DNS-1123 subdomain
 * shape: lowercase letters, digits, `.` and `-`, starting and ending with a letter or digit,
 * at most 64 characters (no `/`, `:`, `]`, spaces or `_`).
 */
export const API_KEY_NAME_PATTERN = '^[a-z0-9]([a-z0-9.-]{0,62}[a-z0-9])?$';
/** RFC 3339 timestamp with a mandatory offset (`Z` or `±hh:mm`). */
export const RFC3339_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?([Zz]|[+-]\\d{2}:\\d{2})$';
/** Scaleway access key: `SCW` + 17 characters (Crockford base32 in practice; the SDKs accept A-Z0-9). */
export const ACCESS_KEY_PATTERN = '^SCW[A-Z0-9]{17}$';
/** Kubernetes namespace (DNS-1123 label). */
export const K8S_NAMESPACE_PATTERN = '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$';
/** Kubernetes object name (DNS-1123 subdomain). */
export const K8S_NAME_PATTERN = '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$';
/** Relative path of `/`-separated segments of `[A-Za-z0-9_.-]`; `.`/`..` segments are refused later. */
export const SINK_PATH_PATTERN = '^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$';
/** Permission set names are identifiers such as `ObjectStorageReadOnly`. */
export const PERMISSION_SET_PATTERN = '^[A-Za-z][A-Za-z0-9]*$';
const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** A user tag must not look like our ownership or preventDestroy tags. */
export const USER_TAG_PATTERN = `^(?!${escapeRegex(OWNER_TAG_PREFIX)}|${escapeRegex(PREVENT_DESTROY_TAG_PREFIX)})`;

function nameField(pattern: string, patternHint: string, what: string): Field {
  return {
    required: true,
    code: 'invalid-name',
    description: `${what} (1-${MAX_NAME_LENGTH} characters: ${patternHint}). The identity of the resource in scw-gitops.`,
    type: { type: 'string', minLength: 1, maxLength: MAX_NAME_LENGTH, pattern, patternHint },
  };
}

function metadata(name: Field, renamable = true): ObjectType {
  const renamedFrom: Field = {
    description:
      'Earlier names of this object, newest last (like Terraform `moved` blocks). When no owned object has `name` but one has an earlier name, it is renamed in place: its id stays, and so do its API keys, rules and memberships. Remove the entry once the rename is applied.',
    type: {
      type: 'array',
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: MAX_NAME_LENGTH },
    },
  };
  return {
    type: 'object',
    fields: {
      name,
      adopt: {
        description:
          'Take over an existing object of this name that carries no scw-gitops ownership marker (planned as an adoption, never silently).',
        type: { type: 'boolean' },
      },
      lifecycle: {
        description: 'Lifecycle guards of this object.',
        type: {
          type: 'object',
          fields: {
            preventDestroy: {
              description: `Refuse any plan that would delete or replace this object (an error on this object). Recorded on the live object (the tag \`${PREVENT_DESTROY_TAG_PREFIX}<instance>\`, or the description marker of a project or API key), so it still holds once the object is removed from git: set it to false and apply first. An API key is still rotated: a rotation is not a destroy of the declared key.`,
              type: { type: 'boolean' },
            },
          },
        },
      },
      ...(renamable ? { renamedFrom } : {}),
    },
  };
}

/** Descriptions must not contain our ownership markers (`[scw-gitops:…]`), or ownership could be forged. */
export const DESCRIPTION_PATTERN = '^(?![\\s\\S]*\\[scw-gitops:)';

const description = (limitNote: string): Field => ({
  description: `Free text, at most ${MAX_DESCRIPTION_LENGTH} characters${limitNote}; must not contain \`[scw-gitops:\`.`,
  type: {
    type: 'string',
    maxLength: MAX_DESCRIPTION_LENGTH,
    pattern: DESCRIPTION_PATTERN,
    patternHint: '`[scw-gitops:` is reserved for the ownership markers scw-gitops appends',
  },
});

/** Shared by applications, groups and policies (emitted once in the JSON Schema, as `$defs/tags`). */
export const TAGS_TYPE: ArrayType = {
  type: 'array',
  maxItems: MAX_USER_TAGS,
  maxItemsHint: `Scaleway allows ${MAX_TAGS} tags and scw-gitops adds its ownership tag \`${OWNER_TAG_PREFIX}<instance>\``,
  uniqueItems: true,
  items: {
    type: 'string',
    minLength: 1,
    pattern: USER_TAG_PATTERN,
    patternHint: `tags starting with \`${OWNER_TAG_PREFIX}\` or \`${PREVENT_DESTROY_TAG_PREFIX}\` are reserved for scw-gitops`,
  },
};

const tags: Field = {
  description: `Free-form tags, at most ${MAX_USER_TAGS} (Scaleway allows ${MAX_TAGS}; scw-gitops adds its ownership tag \`${OWNER_TAG_PREFIX}<instance>\`).`,
  type: TAGS_TYPE,
  code: 'invalid-tag',
};

/** Tag patterns other tools own (`*`: any run of characters); see src/model/ignore-tags.ts. */
const ignoreTags: Field = {
  description:
    "Tags left to other tools (cost tagging, the console): never added, removed or counted as drift. Each entry is a tag, or a pattern where `*` matches any run of characters (`cost-center=*`); added to the settings' `defaults.ignoreTags`. The tags they match still count toward the limit of 10, which the plan checks against the live object.",
  type: { type: 'array', uniqueItems: true, items: { type: 'string', minLength: 1, maxLength: 128 } },
};

/** Shared by every duration field (emitted once in the JSON Schema, as `$defs/duration`). */
export const DURATION_TYPE: StringType = {
  type: 'string',
  pattern: DURATION_PATTERN,
  patternHint: 'a duration such as `90d`, `12h`, `30m`, `45s`, `1w` or `1d12h`',
  format: 'duration',
};

const duration = (text: string): Field => ({
  description: `${text} Duration such as \`90d\`, \`12h\`, \`30m\`, \`1w\`, \`1d12h\`.`,
  type: DURATION_TYPE,
  code: 'invalid-duration',
});

const referenceName = (what: string): Field => ({
  description: what,
  type: { type: 'string', minLength: 1, maxLength: MAX_NAME_LENGTH },
});

// ---------------------------------------------------------------- kinds

const PROJECT: KindTable = {
  kind: 'Project',
  description:
    'A Scaleway Project (Account API). The project `default` belongs to Scaleway and cannot be declared.',
  metadata: metadata(
    nameField(PROJECT_NAME_PATTERN, 'letters, digits, `.`, `_`, `-` and spaces', 'Project name'),
  ),
  specRequired: false,
  spec: {
    type: 'object',
    fields: {
      description: description(' including the ownership marker ` [scw-gitops:<instance>]` appended to it'),
    },
  },
};

const APPLICATION: KindTable = {
  kind: 'Application',
  description: 'An IAM application: the bearer of API keys and the principal of policies.',
  metadata: metadata(
    nameField(
      IAM_NAME_PATTERN,
      'letters, digits, `_`, `(`, `)`, `.`, `-`, words separated by spaces',
      'Application name',
    ),
  ),
  specRequired: false,
  spec: {
    type: 'object',
    fields: { description: description(''), tags, ignoreTags },
  },
};

const API_KEY: KindTable = {
  kind: 'ApiKey',
  description:
    'An IAM API key of an application. scw-gitops creates it, stores its one-time secret in a sink and rotates it.',
  metadata: metadata(
    nameField(
      API_KEY_NAME_PATTERN,
      'lowercase letters, digits, `.` and `-`, starting and ending with a letter or digit; used as file, Vault path and Kubernetes Secret name',
      'API key name',
    ),
    false,
  ),
  specRequired: true,
  spec: {
    type: 'object',
    atMostOneOf: [['expiresAt', 'lifetime']],
    fields: {
      application: {
        required: true,
        ...referenceName('Name of the Application (declared in this desired state) that bears the key.'),
      },
      defaultProject: {
        ...referenceName(
          'Project used by default by tools using this key: a declared Project name or `default` (the organization’s default project). Default: `default`.',
        ),
      },
      description: description(' including the ownership marker ` [scw-gitops:<instance>:<name>:<state>]`'),
      expiresAt: {
        description:
          'Absolute expiry, RFC 3339 (e.g. `2027-01-31T00:00:00Z`); must be in the future. Exclusive with `lifetime`.',
        type: {
          type: 'string',
          pattern: RFC3339_PATTERN,
          patternHint: 'an RFC 3339 timestamp such as `2027-01-31T00:00:00Z`',
          format: 'date-time',
        },
        code: 'invalid-timestamp',
      },
      lifetime: duration(
        'Each key created gets `expires_at = creation + lifetime`; the key is rotated before it expires. Exclusive with `expiresAt`.',
      ),
      rotation: {
        description:
          'When to replace the key with a new one (the new secret is delivered before the old key goes).',
        type: {
          type: 'object',
          fields: {
            rotateBefore: duration(
              'Rotate this long before expiry (requires `lifetime`). Default: one third of the lifetime.',
            ),
            maxAge: duration('For keys without expiry: rotate when the key is older than this.'),
            overlap: duration(
              'How long the previous key keeps working after the new secret is delivered. Default from the settings (1h).',
            ),
          },
        },
      },
      adoptAccessKey: {
        description:
          'Adopt this existing key (access key `SCW…`) instead of creating one; needs `metadata.adopt: true`. Its secret was never held by scw-gitops (custody state `external`): it stays in use until the first rotation, which creates a new key through the sink and retires this one after the overlap. Written by `scw-gitops import`.',
        type: {
          type: 'string',
          pattern: ACCESS_KEY_PATTERN,
          patternHint: 'an access key: `SCW` followed by 17 characters of A-Z and 0-9',
        },
        code: 'invalid-access-key',
      },
      sink: {
        description: 'Where the secret goes: a sink declared in the settings plus a per-key location.',
        type: {
          type: 'object',
          fields: {
            name: {
              description:
                'Name of a sink in the settings (`sinks:`). Default: the settings’ `defaults.sink`.',
              type: { type: 'string', minLength: 1, maxLength: MAX_NAME_LENGTH },
            },
            path: {
              description:
                'Vault: secret path under the sink’s prefix; file sink: file name under its directory. Relative, `/`-separated, no `..`. Default: the key name (file sinks: `<key name>.env` or `.json` by format).',
              type: {
                type: 'string',
                minLength: 1,
                maxLength: 512,
                pattern: SINK_PATH_PATTERN,
                patternHint:
                  'a relative path of `/`-separated segments made of letters, digits, `_`, `.` and `-`',
              },
              code: 'invalid-path',
            },
            namespace: {
              description: 'Kubernetes: namespace of the Secret. Default: the sink’s namespace.',
              type: {
                type: 'string',
                maxLength: 63,
                pattern: K8S_NAMESPACE_PATTERN,
                patternHint: 'a Kubernetes namespace (lowercase letters, digits and `-`)',
              },
            },
            secretName: {
              description: 'Kubernetes: name of the Secret. Default: the key name.',
              type: {
                type: 'string',
                maxLength: 253,
                pattern: K8S_NAME_PATTERN,
                patternHint: 'a Kubernetes object name (lowercase letters, digits, `.` and `-`)',
              },
            },
          },
        },
      },
    },
  },
};

const GROUP: KindTable = {
  kind: 'Group',
  description: 'An IAM group of applications; a policy can name it as its principal.',
  metadata: metadata(
    nameField(
      IAM_NAME_PATTERN,
      'letters, digits, `_`, `(`, `)`, `.`, `-`, words separated by spaces',
      'Group name',
    ),
  ),
  specRequired: false,
  spec: {
    type: 'object',
    fields: {
      description: description(''),
      tags,
      ignoreTags,
      members: {
        description: 'Members of the group. The whole list is applied (members not listed are removed).',
        type: {
          type: 'object',
          fields: {
            applications: {
              description: 'Names of declared Applications, in order.',
              type: {
                type: 'array',
                uniqueItems: true,
                items: { type: 'string', minLength: 1, maxLength: MAX_NAME_LENGTH },
              },
            },
          },
        },
      },
    },
  },
};

const POLICY: KindTable = {
  kind: 'Policy',
  description:
    'An IAM policy: permission sets granted to one principal on projects or the whole organization.',
  metadata: metadata(
    nameField(
      IAM_NAME_PATTERN,
      'letters, digits, `_`, `(`, `)`, `.`, `-`, words separated by spaces',
      'Policy name',
    ),
  ),
  specRequired: true,
  spec: {
    type: 'object',
    fields: {
      description: description(''),
      tags,
      ignoreTags,
      principal: {
        required: true,
        description: 'Who the policy applies to: exactly one of `application`, `group` or `none: true`.',
        type: {
          type: 'object',
          exactlyOneOf: [['application', 'group', 'none']],
          fields: {
            application: referenceName('Name of a declared Application.'),
            group: referenceName('Name of a declared Group.'),
            none: {
              description: 'A policy without principal (kept for later attachment).',
              type: { type: 'boolean', const: true },
            },
          },
        },
      },
      rules: {
        required: true,
        description: 'At least one rule. The whole list is applied (rules not listed are removed).',
        type: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            exactlyOneOf: [['projects', 'organization']],
            fields: {
              permissionSets: {
                required: true,
                description: 'Permission set names, e.g. `ObjectStorageReadOnly`, `InstancesFullAccess`.',
                type: {
                  type: 'array',
                  minItems: 1,
                  uniqueItems: true,
                  items: {
                    type: 'string',
                    pattern: PERMISSION_SET_PATTERN,
                    patternHint: 'a permission set name such as `ObjectStorageReadOnly`',
                  },
                },
                code: 'invalid-permission-set',
              },
              projects: {
                description: 'Scope: these projects (declared Project names or `default`).',
                type: {
                  type: 'array',
                  minItems: 1,
                  uniqueItems: true,
                  items: { type: 'string', minLength: 1, maxLength: MAX_NAME_LENGTH },
                },
              },
              organization: {
                description: 'Scope: the whole organization (for projects-type sets: all projects).',
                type: { type: 'boolean', const: true },
              },
              condition: {
                description: `Optional condition expression, at most ${MAX_CONDITION_LENGTH} characters.`,
                type: { type: 'string', maxLength: MAX_CONDITION_LENGTH },
              },
            },
          },
        },
      },
      acknowledgeDangerousPermissions: {
        description:
          'Required (true) to grant permission sets that can manage IAM or the organization (e.g. `IAMManager`, `OrganizationManager`) to an application or group.',
        type: { type: 'boolean' },
      },
    },
  },
};

/** In dependency order (KINDS). */
export const KIND_TABLES: readonly KindTable[] = [PROJECT, APPLICATION, GROUP, POLICY, API_KEY];

export function kindTable(kind: string): KindTable | undefined {
  return KIND_TABLES.find((t) => t.kind === kind);
}

/**
 * Permission sets that let a bearer grant itself (or anyone) more rights. A Policy giving one of
 * them to an application or group must set `acknowledgeDangerousPermissions: true`.
 */
export const DANGEROUS_PERMISSION_SETS: readonly string[] = [
  'IAMManager',
  'OrganizationManager',
  'IAMFullAccess',
  'OrganizationFullAccess',
];
