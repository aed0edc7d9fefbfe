/**
 * A small renderer for the subset of Go text/template + Sprig that our Helm chart uses, so the
 * chart can be rendered and checked without a helm binary. It is deliberately strict: an unknown
 * function, an unclosed block or a missing template is an error, so a template that uses
 * something outside this subset fails the test instead of rendering wrongly.
 *
 * Supported: text, {{ pipeline }}, {{- / -}} trimming, comments, if / else if / else / end,
 * range ($v := list) / end, define / end, variables ($, $name), field chains (.Values.a.b),
 * parenthesised pipelines, string/number/bool literals, and the functions in FUNCS below.
 */
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';

type Value = unknown;

interface TextNode {
  t: 'text';
  s: string;
}
interface ActionNode {
  t: 'action';
  expr: string;
}
interface IfNode {
  t: 'if';
  branches: { cond: string | null; body: Node[] }[];
}
interface RangeNode {
  t: 'range';
  varName: string | null;
  expr: string;
  body: Node[];
}
type Node = TextNode | ActionNode | IfNode | RangeNode;

interface Token {
  kind: 'text' | 'action';
  value: string;
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      out.push({ kind: 'text', value: src.slice(i) });
      break;
    }
    let text = src.slice(i, open);
    let start = open + 2;
    if (src[start] === '-' && /\s/.test(src[start + 1] ?? '')) {
      text = text.replace(/\s+$/, '');
      start += 1;
    }
    out.push({ kind: 'text', value: text });
    const close = src.indexOf('}}', start);
    if (close < 0) throw new Error(`unclosed action at offset ${open}`);
    let end = close;
    let trimRight = false;
    if (src[close - 1] === '-' && /\s/.test(src[close - 2] ?? '')) {
      end = close - 1;
      trimRight = true;
    }
    out.push({ kind: 'action', value: src.slice(start, end).trim() });
    i = close + 2;
    if (trimRight) {
      while (i < src.length && /\s/.test(src[i]!)) i++;
    }
  }
  return out.filter((t) => !(t.kind === 'text' && t.value === ''));
}

interface Parsed {
  nodes: Node[];
  defines: Map<string, Node[]>;
}

function parse(src: string): Parsed {
  const tokens = tokenize(src);
  const defines = new Map<string, Node[]>();
  let pos = 0;

  function parseBlock(terminators: string[]): { nodes: Node[]; end: string } {
    const nodes: Node[] = [];
    while (pos < tokens.length) {
      const tok = tokens[pos++]!;
      if (tok.kind === 'text') {
        nodes.push({ t: 'text', s: tok.value });
        continue;
      }
      const a = tok.value;
      if (a.startsWith('/*')) continue;
      const word = a.split(/\s+/)[0]!;
      if (terminators.includes(word)) return { nodes, end: a };
      if (word === 'if') {
        const branches: IfNode['branches'] = [];
        let cond: string | null = a.slice(2).trim();
        for (;;) {
          const r = parseBlock(['else', 'end']);
          branches.push({ cond, body: r.nodes });
          if (r.end === 'end') break;
          const rest = r.end.slice(4).trim();
          if (rest.startsWith('if ')) cond = rest.slice(3).trim();
          else if (rest === '') cond = null;
          else throw new Error(`unsupported else clause: ${r.end}`);
        }
        nodes.push({ t: 'if', branches });
      } else if (word === 'range') {
        const m = /^range\s+(?:(\$\w+)\s*:=\s*)?(.+)$/.exec(a);
        if (!m) throw new Error(`bad range: ${a}`);
        const r = parseBlock(['end']);
        nodes.push({ t: 'range', varName: m[1] ?? null, expr: m[2]!, body: r.nodes });
      } else if (word === 'define') {
        const m = /^define\s+"([^"]+)"$/.exec(a);
        if (!m) throw new Error(`bad define: ${a}`);
        const r = parseBlock(['end']);
        defines.set(m[1]!, r.nodes);
      } else if (word === 'else' || word === 'end') {
        throw new Error(`unexpected {{ ${a} }}`);
      } else {
        nodes.push({ t: 'action', expr: a });
      }
    }
    if (terminators.length > 0)
      throw new Error(`missing {{ end }} (expected one of ${terminators.join(', ')})`);
    return { nodes, end: '' };
  }

  const { nodes } = parseBlock([]);
  return { nodes, defines };
}

/** Truthiness as in Go templates. */
export function truthy(v: Value): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

function toText(v: Value): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export interface RenderContext {
  files: Map<string, string>;
  root: Record<string, Value>;
}

export class TemplateEngine {
  readonly #defines = new Map<string, Node[]>();
  readonly #files: Map<string, string>;
  readonly #parsed = new Map<string, Parsed>();

  constructor(files: Map<string, string>) {
    this.#files = files;
    for (const [name, src] of files) {
      const p = parse(src);
      this.#parsed.set(name, p);
      for (const [k, v] of p.defines) this.#defines.set(k, v);
    }
  }

  renderFile(name: string, root: Record<string, Value>): string {
    const p = this.#parsed.get(name);
    if (!p) throw new Error(`no template file ${name}`);
    return this.#renderNodes(p.nodes, root, { $: root });
  }

  #renderNodes(nodes: Node[], dot: Value, vars: Record<string, Value>): string {
    let out = '';
    for (const n of nodes) {
      switch (n.t) {
        case 'text':
          out += n.s;
          break;
        case 'action': {
          const m = /^(\$\w+)\s*:=\s*(.+)$/.exec(n.expr);
          if (m) vars[m[1]!] = this.#evalPipeline(m[2]!, dot, vars);
          else out += toText(this.#evalPipeline(n.expr, dot, vars));
          break;
        }
        case 'if': {
          for (const b of n.branches) {
            if (b.cond === null || truthy(this.#evalPipeline(b.cond, dot, vars))) {
              out += this.#renderNodes(b.body, dot, { ...vars });
              break;
            }
          }
          break;
        }
        case 'range': {
          const list = this.#evalPipeline(n.expr, dot, vars);
          const items = Array.isArray(list)
            ? list
            : list && typeof list === 'object'
              ? Object.values(list)
              : [];
          for (const item of items) {
            const v = { ...vars };
            if (n.varName) v[n.varName] = item;
            out += this.#renderNodes(n.body, item, v);
          }
          break;
        }
      }
    }
    return out;
  }

  #evalPipeline(expr: string, dot: Value, vars: Record<string, Value>): Value {
    const parts = splitTop(expr, '|');
    let acc: Value;
    let first = true;
    for (const part of parts) {
      const args = splitArgs(part.trim());
      if (first) {
        acc = this.#evalCommand(args, dot, vars, []);
        first = false;
      } else {
        acc = this.#evalCommand(args, dot, vars, [acc]);
      }
    }
    return acc;
  }

  #evalCommand(args: string[], dot: Value, vars: Record<string, Value>, piped: Value[]): Value {
    const head = args[0];
    if (head === undefined) throw new Error('empty command');
    const fn = FUNCS[head];
    if (fn) {
      const vals = args.slice(1).map((a) => this.#evalOperand(a, dot, vars));
      return fn.call(this, [...vals, ...piped]);
    }
    if (args.length !== 1 || piped.length > 0) throw new Error(`unknown function '${head}'`);
    return this.#evalOperand(head, dot, vars);
  }

  #evalOperand(a: string, dot: Value, vars: Record<string, Value>): Value {
    if (a.startsWith('(') && a.endsWith(')')) return this.#evalPipeline(a.slice(1, -1), dot, vars);
    if (a.startsWith('"')) return JSON.parse(a) as string;
    if (/^-?\d+$/.test(a)) return Number(a);
    if (a === 'true') return true;
    if (a === 'false') return false;
    if (a === '.') return dot;
    if (a.startsWith('.')) return getPath(dot, a.slice(1));
    if (a.startsWith('$')) {
      const m = /^(\$\w*)(\..*)?$/.exec(a);
      if (!m) throw new Error(`bad variable ${a}`);
      if (!(m[1]! in vars)) throw new Error(`undefined variable ${m[1]}`);
      const base = vars[m[1]!];
      return m[2] ? getPath(base, m[2].slice(1)) : base;
    }
    if (FUNCS[a]) return FUNCS[a].call(this, []);
    throw new Error(`cannot evaluate '${a}'`);
  }

  include(name: string, dot: Value): string {
    const d = this.#defines.get(name);
    if (d) return this.#renderNodes(d, dot, { $: dot });
    if (this.#files.has(name)) return this.#renderNodes(this.#parsed.get(name)!.nodes, dot, { $: dot });
    throw new Error(`include: no template named "${name}"`);
  }
}

function getPath(v: Value, path: string): Value {
  let cur: Value = v;
  for (const seg of path.split('.')) {
    if (seg === '') continue;
    if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, Value>)[seg];
  }
  return cur;
}

function splitTop(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let inStr = false;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (inStr) {
      cur += c;
      if (c === '\\') cur += s[++i] ?? '';
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') inStr = true;
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === sep && depth === 0) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}

function splitArgs(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    if (/\s/.test(s[i]!)) {
      i++;
      continue;
    }
    let j = i;
    if (s[i] === '"') {
      j++;
      while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
      j++;
    } else if (s[i] === '(') {
      let depth = 0;
      for (; j < s.length; j++) {
        if (s[j] === '(') depth++;
        if (s[j] === ')' && --depth === 0) {
          j++;
          break;
        }
      }
    } else {
      while (j < s.length && !/\s/.test(s[j]!)) j++;
    }
    out.push(s.slice(i, j));
    i = j;
  }
  return out;
}

function indentText(n: number, text: string): string {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((l) => (l === '' ? l : pad + l))
    .join('\n');
}

const FUNCS: Record<string, (this: TemplateEngine, a: Value[]) => Value> = {
  include(a) {
    return this.include(String(a[0]), a[1]);
  },
  printf(a) {
    let i = 1;
    return String(a[0]).replace(/%[sdv]/g, () => toText(a[i++]));
  },
  print(a) {
    return a.map(toText).join('');
  },
  trunc(a) {
    return String(a[1]).slice(0, Number(a[0]));
  },
  trimSuffix(a) {
    const s = String(a[1]);
    const suf = String(a[0]);
    return s.endsWith(suf) ? s.slice(0, s.length - suf.length) : s;
  },
  default(a) {
    return truthy(a[1]) ? a[1] : a[0];
  },
  quote(a) {
    return JSON.stringify(toText(a[0]));
  },
  toYaml(a) {
    if (a[0] === undefined || a[0] === null) return '';
    return stringify(a[0]).replace(/\n$/, '');
  },
  nindent(a) {
    return `\n${indentText(Number(a[0]), toText(a[1]))}`;
  },
  indent(a) {
    return indentText(Number(a[0]), toText(a[1]));
  },
  eq(a) {
    return a[0] === a[1];
  },
  ne(a) {
    return a[0] !== a[1];
  },
  not(a) {
    return !truthy(a[0]);
  },
  and(a) {
    return a.every(truthy);
  },
  or(a) {
    return a.some(truthy);
  },
  gt(a) {
    return Number(a[0]) > Number(a[1]);
  },
  int(a) {
    return Math.trunc(Number(a[0]));
  },
  sha256sum(a) {
    return createHash('sha256').update(toText(a[0])).digest('hex');
  },
};
