/**
 * A strict reader of the Prometheus text exposition format 0.0.4, for tests: it throws on the
 * first line a Prometheus server would reject (or that breaks the format's rules), naming the
 * line, and returns the metric families it read.
 *
 * Checked: `# HELP` / `# TYPE` syntax and escapes, one HELP and one TYPE per family, TYPE before
 * the family's samples, each family's lines in one group, metric and label names, label-value
 * escapes (`\\`, `\"`, `\n` only), no repeated label, no repeated series, float values as
 * Prometheus parses them (Go's ParseFloat: decimal, exponent, NaN and ±Inf in any case), an
 * optional integer timestamp, histogram series (`_bucket` with `le`, `_sum`, `_count`; cumulative
 * buckets ending with `le="+Inf"` equal to `_count`), counters never negative, and the trailing
 * newline.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricFamily {
  readonly name: string;
  type: MetricType;
  help?: string;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)$/i;
const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<MetricType, readonly string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

function parseFloatGo(text: string, where: string): number {
  if (!FLOAT.test(text)) throw new Error(`${where}: '${text}' is not a float`);
  const t = text.toLowerCase().replace(/^\+/, '');
  if (t === 'nan') return Number.NaN;
  if (t === 'inf' || t === 'infinity') return Number.POSITIVE_INFINITY;
  if (t === '-inf' || t === '-infinity') return Number.NEGATIVE_INFINITY;
  return Number(t);
}

/** Unescape a HELP text (`\\` and `\n` are the only escapes; any other backslash is kept). */
function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
}

/** `{a="x",b="y"}` at `s[i]`; returns the labels and the index after `}`. */
function readLabels(s: string, i: number, where: string): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  i += 1; // '{'
  for (;;) {
    if (s[i] === '}') return { labels, end: i + 1 };
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new Error(`${where}: label without '='`);
    const name = s.slice(i, eq);
    if (!LABEL.test(name)) throw new Error(`${where}: invalid label name '${name}'`);
    if (name in labels) throw new Error(`${where}: label '${name}' repeated`);
    if (s[eq + 1] !== '"') throw new Error(`${where}: label '${name}' value is not quoted`);
    let value = '';
    let j = eq + 2;
    for (;;) {
      const c = s[j];
      if (c === undefined) throw new Error(`${where}: unterminated label value`);
      if (c === '"') break;
      if (c === '\\') {
        const e = s[j + 1];
        if (e === '\\') value += '\\';
        else if (e === '"') value += '"';
        else if (e === 'n') value += '\n';
        else throw new Error(`${where}: invalid escape '\\${e ?? ''}' in label '${name}'`);
        j += 2;
      } else {
        value += c;
        j += 1;
      }
    }
    labels[name] = value;
    i = j + 1;
    if (s[i] === ',') i += 1;
    else if (s[i] !== '}') throw new Error(`${where}: expected ',' or '}' after label '${name}'`);
  }
}

/** Parse and check a whole exposition; throws with the offending line. */
export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  if (text !== '' && !text.endsWith('\n')) throw new Error('exposition does not end with a newline');
  const families = new Map<string, MetricFamily>();
  const closed = new Set<string>();
  const typed = new Set<string>();
  let current: string | undefined;
  const seriesSeen = new Set<string>();
  const family = (name: string): MetricFamily => {
    let f = families.get(name);
    if (!f) {
      f = { name, type: 'untyped', samples: [] };
      families.set(name, f);
    }
    return f;
  };
  const enter = (name: string, where: string) => {
    if (current === name) return;
    if (closed.has(name)) throw new Error(`${where}: lines of '${name}' are not in one group`);
    if (current) closed.add(current);
    current = name;
  };

  const lines = text.split('\n').slice(0, -1);
  lines.forEach((line, n) => {
    const where = `line ${n + 1} '${line}'`;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (!m) return; // a plain comment
      const [, kind, name, rest = ''] = m as unknown as [string, 'HELP' | 'TYPE', string, string?];
      if (!NAME.test(name)) throw new Error(`${where}: invalid metric name`);
      enter(name, where);
      const f = family(name);
      if (kind === 'HELP') {
        if (f.help !== undefined) throw new Error(`${where}: second HELP for '${name}'`);
        f.help = unescapeHelp(rest);
      } else {
        const t = rest.trim() as MetricType;
        if (!TYPES.has(t)) throw new Error(`${where}: unknown type '${rest}'`);
        if (f.samples.length > 0) throw new Error(`${where}: TYPE after samples of '${name}'`);
        if (typed.has(name)) throw new Error(`${where}: second TYPE for '${name}'`);
        typed.add(name);
        f.type = t;
      }
      return;
    }
    const nameEnd = line.search(/[{\s]/);
    if (nameEnd <= 0) throw new Error(`${where}: no metric name`);
    const name = line.slice(0, nameEnd);
    if (!NAME.test(name)) throw new Error(`${where}: invalid metric name`);
    let labels: Record<string, string> = {};
    let i = nameEnd;
    if (line[i] === '{') ({ labels, end: i } = readLabels(line, i, where));
    const fields = line.slice(i).trim().split(/\s+/);
    if (line[i] !== ' ' || fields.length < 1 || fields.length > 2 || fields[0] === '')
      throw new Error(`${where}: expected ' value [timestamp]'`);
    const value = parseFloatGo(fields[0]!, where);
    if (fields[1] !== undefined && !/^-?\d+$/.test(fields[1])) throw new Error(`${where}: bad timestamp`);

    // The family: a typed family whose suffix rules admit this sample name, else the name itself.
    let owner: MetricFamily | undefined;
    for (const f of families.values()) {
      if (SUFFIXES[f.type].some((suffix) => `${f.name}${suffix}` === name)) owner = f;
    }
    owner ??= family(name);
    enter(owner.name, where);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seriesSeen.has(key)) throw new Error(`${where}: series repeated`);
    seriesSeen.add(key);
    if (owner.type === 'counter' && !(value >= 0)) throw new Error(`${where}: negative counter`);
    if (owner.type === 'histogram' && name.endsWith('_bucket') && labels['le'] === undefined)
      throw new Error(`${where}: bucket without 'le'`);
    if (owner.type === 'histogram' && !name.endsWith('_bucket') && labels['le'] !== undefined)
      throw new Error(`${where}: 'le' outside a bucket`);
    owner.samples.push({ name, labels, value });
  });

  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function checkHistogram(f: MetricFamily): void {
  const series = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const e = series.get(key) ?? { buckets: [] };
    series.set(key, e);
    if (s.name.endsWith('_bucket')) e.buckets.push([parseFloatGo(le!, `${f.name} le`), s.value]);
    else if (s.name.endsWith('_count')) e.count = s.value;
    else e.sum = s.value;
  }
  for (const [key, e] of series) {
    const where = `histogram ${f.name}${key}`;
    if (e.count === undefined || e.sum === undefined) throw new Error(`${where}: _sum or _count missing`);
    const last = e.buckets.at(-1);
    if (!last || last[0] !== Number.POSITIVE_INFINITY) throw new Error(`${where}: no le="+Inf" bucket last`);
    if (last[1] !== e.count) throw new Error(`${where}: +Inf bucket ${last[1]} != _count ${e.count}`);
    for (let i = 1; i < e.buckets.length; i += 1) {
      const [le0, c0] = e.buckets[i - 1]!;
      const [le1, c1] = e.buckets[i]!;
      if (!(le1 > le0)) throw new Error(`${where}: buckets not in increasing 'le' order`);
      if (c1 < c0) throw new Error(`${where}: bucket counts not cumulative`);
    }
  }
}
