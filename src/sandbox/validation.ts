/**
 * Request-body readers that collect `invalid_arguments` details (docs/design/scaleway-api.md §11, item 13) instead of
 * stopping at the first problem, like the real gateway's validation layer.
 */
import { type ArgumentDetail, invalidArguments } from './errors.js';
import { isUuid } from './ids.js';

/** docs/design/scaleway-api.md §5: IAM names (applications, groups, policies). */
export const IAM_NAME_RE = /^[\w().-]+( +[\w().-]+)*$/;
/** docs/design/scaleway-api.md §4: project names. */
export const PROJECT_NAME_RE = /^[a-zA-Z0-9._\- ]+$/;
export const NAME_MAX = 64;
export const DESCRIPTION_MAX = 200;
export const TAGS_MAX = 10;
export const CONDITION_MAX = 2048;
export const UUID_HELP = 'value must be a valid UUID';

export type Json = Record<string, unknown>;

export class Validator {
  readonly details: ArgumentDetail[] = [];

  constructor(private readonly body: Json) {}

  add(argument: string, reason: ArgumentDetail['reason'], help: string): void {
    this.details.push({ argument_name: argument, reason, help_message: help });
  }

  has(field: string): boolean {
    return this.body[field] !== undefined && this.body[field] !== null;
  }

  /** Throws 400 invalid_arguments when any detail was collected. */
  check(): void {
    if (this.details.length > 0) throw invalidArguments(this.details);
  }

  string(field: string, opts: { required?: boolean; argument?: string } = {}): string | undefined {
    const arg = opts.argument ?? field;
    const v = this.body[field];
    if (v === undefined || v === null) {
      if (opts.required) this.add(arg, 'required', 'value is required');
      return undefined;
    }
    if (typeof v !== 'string') {
      this.add(arg, 'format', 'value must be a string');
      return undefined;
    }
    return v;
  }

  name(field: string, opts: { required?: boolean; pattern: RegExp; argument?: string }): string | undefined {
    const arg = opts.argument ?? field;
    const v = this.string(field, { ...opts, argument: arg });
    if (v === undefined) return undefined;
    const before = this.details.length;
    checkName(this, arg, v, opts.pattern);
    return this.details.length === before ? v : undefined;
  }

  description(field = 'description'): string | undefined {
    const v = this.string(field);
    if (v !== undefined && [...v].length > DESCRIPTION_MAX) {
      this.add(field, 'constraint', `value length must be less than or equal to ${DESCRIPTION_MAX}`);
      return undefined;
    }
    return v;
  }

  uuid(field: string, opts: { required?: boolean; argument?: string } = {}): string | undefined {
    const arg = opts.argument ?? field;
    const v = this.string(field, { ...opts, argument: arg });
    if (v === undefined) return undefined;
    if (!isUuid(v)) {
      this.add(arg, 'format', UUID_HELP);
      return undefined;
    }
    return v.toLowerCase();
  }

  uuidList(field: string): string[] | undefined {
    const v = this.body[field];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) {
      this.add(field, 'format', 'value must be an array');
      return undefined;
    }
    const out: string[] = [];
    v.forEach((item, i) => {
      if (typeof item !== 'string' || !isUuid(item)) this.add(`${field}.${i}`, 'format', UUID_HELP);
      else out.push(item.toLowerCase());
    });
    return out;
  }

  /** `"tags":null` and absence both give undefined; callers decide what absent means. */
  tags(field = 'tags'): string[] | undefined {
    const v = this.body[field];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((t) => typeof t !== 'string')) {
      this.add(field, 'format', 'value must be an array of strings');
      return undefined;
    }
    if (v.length > TAGS_MAX) {
      this.add(field, 'constraint', `value must contain at most ${TAGS_MAX} items`);
      return undefined;
    }
    return v as string[];
  }

  boolean(field: string): boolean | undefined {
    const v = this.body[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') {
      this.add(field, 'format', 'value must be a boolean');
      return undefined;
    }
    return v;
  }
}

export function checkName(v: Validator, argument: string, value: string, pattern: RegExp): void {
  const len = [...value].length;
  if (len < 1 || len > NAME_MAX) {
    v.add(argument, 'constraint', `value length must be between 1 and ${NAME_MAX}`);
    return;
  }
  if (!pattern.test(value)) {
    v.add(argument, 'constraint', `value must match regular expression ${pattern.source}`);
  }
}

/** Query-string helpers. */
export class QueryReader {
  readonly details: ArgumentDetail[] = [];
  constructor(readonly params: URLSearchParams) {}

  check(): void {
    if (this.details.length > 0) throw invalidArguments(this.details);
  }

  /** Single value; an empty string counts as absent (the Go SDK sends `organization_id=`). */
  get(name: string): string | undefined {
    const v = this.params.get(name);
    return v === null || v === '' ? undefined : v;
  }

  all(name: string): string[] {
    return this.params.getAll(name).filter((v) => v !== '');
  }

  uuid(name: string): string | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    if (!isUuid(v)) {
      this.details.push({ argument_name: name, reason: 'format', help_message: UUID_HELP });
      return undefined;
    }
    return v.toLowerCase();
  }

  uuids(name: string): string[] | undefined {
    const values = this.all(name);
    if (values.length === 0) return undefined;
    const out: string[] = [];
    values.forEach((v, i) => {
      if (!isUuid(v))
        this.details.push({ argument_name: `${name}.${i}`, reason: 'format', help_message: UUID_HELP });
      else out.push(v.toLowerCase());
    });
    return out;
  }

  boolean(name: string): boolean | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    if (v === 'true') return true;
    if (v === 'false') return false;
    this.details.push({ argument_name: name, reason: 'format', help_message: 'value must be a boolean' });
    return undefined;
  }

  enumValue<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = this.get(name);
    if (v === undefined) return fallback;
    if ((allowed as readonly string[]).includes(v)) return v as T;
    this.details.push({
      argument_name: name,
      reason: 'constraint',
      help_message: `value must be one of ${allowed.join(', ')}`,
    });
    return fallback;
  }

  integer(name: string, min: number, max: number): number | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(n)) {
      this.details.push({ argument_name: name, reason: 'format', help_message: 'value must be an integer' });
      return undefined;
    }
    if (n < min) {
      this.details.push({
        argument_name: name,
        reason: 'constraint',
        help_message: `value must be greater than or equal to ${min}`,
      });
      return undefined;
    }
    if (n > max) {
      this.details.push({
        argument_name: name,
        reason: 'constraint',
        help_message: `value must be less than or equal to ${max}`,
      });
      return undefined;
    }
    return n;
  }
}
