/**
 * Field paths and ownership for the server-side apply model (docs/design/kubernetes.md §4, §13.9), plus the
 * RFC 7386 merge patch and RFC 6902 JSON patch the emulator accepts.
 *
 * A field path is the list of map keys from the object root to a leaf (`['data','api-key']`,
 * `['metadata','labels','app']`). Maps are granular (every key its own field); scalars and lists
 * are atomic leaves. Only `metadata.labels` and `metadata.annotations` are tracked inside
 * `metadata`, as the real server does for these types.
 */

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };
export type FieldPath = readonly string[];

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function clone<T>(v: T): T {
  return structuredClone(v);
}

/** Stable key for sets of paths. */
export function pathKey(path: FieldPath): string {
  return JSON.stringify(path);
}

export function keyPath(key: string): FieldPath {
  return JSON.parse(key) as string[];
}

/** `.data.api-key` as in apply-conflict messages. */
export function renderPath(path: FieldPath): string {
  return path.map((p) => `.${p}`).join('');
}

/** Leaf paths of the managed part of an object. */
export function leafPaths(obj: JsonObject): Map<string, Json> {
  const out = new Map<string, Json>();
  const walk = (value: Json, path: string[]) => {
    if (isObject(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
      return;
    }
    out.set(pathKey(path), value);
  };
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    if (k === 'metadata') {
      if (!isObject(v)) continue;
      for (const sub of ['labels', 'annotations']) {
        const m = v[sub];
        if (isObject(m))
          for (const [mk, mv] of Object.entries(m)) out.set(pathKey(['metadata', sub, mk]), mv);
      }
      continue;
    }
    walk(v, [k]);
  }
  return out;
}

export function getAt(obj: JsonObject, path: FieldPath): Json | undefined {
  let cur: Json | undefined = obj;
  for (const p of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

export function setAt(obj: JsonObject, path: FieldPath, value: Json): void {
  let cur: JsonObject = obj;
  for (let i = 0; i < path.length - 1; i++) {
    const p = path[i] as string;
    const next = cur[p];
    if (!isObject(next)) cur[p] = {};
    cur = cur[p] as JsonObject;
  }
  cur[path[path.length - 1] as string] = clone(value);
}

/** Delete a leaf and prune maps left empty (except `metadata`). */
export function deleteAt(obj: JsonObject, path: FieldPath): void {
  const stack: JsonObject[] = [obj];
  let cur: JsonObject = obj;
  for (let i = 0; i < path.length - 1; i++) {
    const next = cur[path[i] as string];
    if (!isObject(next)) return;
    cur = next;
    stack.push(cur);
  }
  delete cur[path[path.length - 1] as string];
  for (let i = path.length - 2; i >= 0; i--) {
    const parent = stack[i] as JsonObject;
    const key = path[i] as string;
    const child = parent[key];
    if (isObject(child) && Object.keys(child).length === 0 && !(i === 0 && key === 'metadata'))
      delete parent[key];
    else break;
  }
}

export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  return canonical(a) === canonical(b);
}

export function canonical(v: Json | undefined): string {
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k] as Json)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** FieldsV1 rendering of a path set: `{"f:data":{".":{},"f:k":{}}}`. */
export function fieldsV1(paths: Iterable<string>): JsonObject {
  const root: JsonObject = {};
  for (const key of paths) {
    const path = keyPath(key);
    let cur = root;
    path.forEach((seg, i) => {
      const k = `f:${seg}`;
      if (!isObject(cur[k])) cur[k] = {};
      const next = cur[k] as JsonObject;
      if (
        i < path.length - 1 &&
        (seg === 'data' || seg === 'labels' || seg === 'annotations' || seg === 'stringData')
      )
        next['.'] = {};
      cur = next;
    });
  }
  return root;
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export class JsonPatchError extends Error {}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new JsonPatchError(`invalid JSON pointer: ${pointer}`);
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** RFC 6902 JSON patch (add/remove/replace/move/copy/test). Throws JsonPatchError. */
export function jsonPatch(doc: JsonObject, ops: Json): JsonObject {
  if (!Array.isArray(ops)) throw new TypeError('not a JSON patch array');
  let out: Json = clone(doc);
  const parentOf = (root: Json, path: string[]): { parent: Json; key: string } => {
    let cur: Json = root;
    for (const seg of path.slice(0, -1)) {
      if (Array.isArray(cur)) cur = cur[Number(seg)] as Json;
      else if (isObject(cur)) cur = cur[seg] as Json;
      else cur = undefined as unknown as Json;
      if (cur === undefined) throw new JsonPatchError(`doc is missing path: /${path.join('/')}`);
    }
    return { parent: cur, key: path[path.length - 1] as string };
  };
  const get = (root: Json, path: string[]): Json | undefined => {
    let cur: Json | undefined = root;
    for (const seg of path) {
      if (Array.isArray(cur)) cur = cur[Number(seg)];
      else if (isObject(cur)) cur = cur[seg];
      else return undefined;
    }
    return cur;
  };
  const remove = (root: Json, path: string[]): Json => {
    const { parent, key } = parentOf(root, path);
    if (Array.isArray(parent)) {
      const i = Number(key);
      if (!(i >= 0 && i < parent.length))
        throw new JsonPatchError(`remove operation does not apply: doc is missing path: /${path.join('/')}`);
      return parent.splice(i, 1)[0] as Json;
    }
    if (!isObject(parent) || !(key in parent))
      throw new JsonPatchError(
        `remove operation does not apply: doc is missing path: "/${path.join('/')}": missing value`,
      );
    const v = parent[key] as Json;
    delete parent[key];
    return v;
  };
  const add = (root: Json, path: string[], value: Json): Json => {
    if (path.length === 0) return clone(value);
    const { parent, key } = parentOf(root, path);
    if (Array.isArray(parent)) {
      const i = key === '-' ? parent.length : Number(key);
      if (!(i >= 0 && i <= parent.length))
        throw new JsonPatchError(`add operation does not apply: doc is missing path: /${path.join('/')}`);
      parent.splice(i, 0, clone(value));
    } else if (isObject(parent)) parent[key] = clone(value);
    else
      throw new JsonPatchError(
        `add operation does not apply: doc is missing path: "/${path.join('/')}": missing value`,
      );
    return root;
  };
  for (const raw of ops) {
    if (!isObject(raw)) throw new JsonPatchError('invalid operation');
    const op = raw.op;
    const path = parsePointer(String(raw.path ?? ''));
    switch (op) {
      case 'add':
        out = add(out, path, raw.value as Json);
        break;
      case 'remove':
        remove(out, path);
        break;
      case 'replace':
        if (get(out, path) === undefined)
          throw new JsonPatchError(
            `replace operation does not apply: doc is missing key: /${path.join('/')}: missing value`,
          );
        if (path.length === 0) out = clone(raw.value as Json);
        else {
          remove(out, path);
          out = add(out, path, raw.value as Json);
        }
        break;
      case 'move': {
        const from = parsePointer(String(raw.from ?? ''));
        const v = remove(out, from);
        out = add(out, path, v);
        break;
      }
      case 'copy': {
        const from = parsePointer(String(raw.from ?? ''));
        const v = get(out, from);
        if (v === undefined)
          throw new JsonPatchError(
            `copy operation does not apply: doc is missing from path: /${from.join('/')}`,
          );
        out = add(out, path, v);
        break;
      }
      case 'test': {
        const v = get(out, path);
        if (!jsonEqual(v, raw.value as Json))
          throw new JsonPatchError(`testing value /${path.join('/')} failed: test failed`);
        break;
      }
      default:
        throw new JsonPatchError(`Unexpected kind: ${String(op)}`);
    }
  }
  if (!isObject(out)) throw new JsonPatchError('patched document is not an object');
  return out;
}
