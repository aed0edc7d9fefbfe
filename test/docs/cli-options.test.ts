/**
 * The option tables (src/cli/options.ts) against the real commands: every option in a table is
 * accepted by that command's parser, nothing else is, and its --help lists exactly the table's
 * flags. Commands whose parser and help are built from the table pass trivially; the others
 * (hand-written parsers) cannot drift from the table, hence from docs/reference/cli.md, silently.
 */
import { describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/cli/io.js';
import { COMMANDS, main } from '../../src/cli/main.js';
import { CLI_OPTIONS, type OptionSpec } from '../../src/cli/options.js';

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env: {},
    cwd: process.cwd(),
    isTTY: false,
    signal: AbortSignal.abort(new Error('tests never run a command for real here')),
  };
  const code = await main(argv, io);
  return { code, out: out.join(''), err: err.join('') };
}

/** A value the option's own checks accept. */
function sample(o: OptionSpec): string {
  switch (o.arg) {
    case 'MODE':
      return 'exact';
    case 'STYLE':
      return 'compact';
    case 'N':
    case 'MS':
    case 'R':
    case 'P':
      return '0';
    default:
      return 'x';
  }
}

describe('CLI option tables', () => {
  it('cover every command', () => {
    expect(CLI_OPTIONS.map((c) => c.command).sort()).toEqual(Object.keys(COMMANDS).sort());
  });

  for (const table of CLI_OPTIONS) {
    describe(table.command, () => {
      it('every option of the table is accepted by the parser', async () => {
        for (const o of table.options) {
          if (o.flag === 'help') continue;
          const argv = o.type === 'string' ? [`--${o.flag}`, sample(o)] : [`--${o.flag}`];
          const r = await cli([table.command, ...argv, '--help']);
          expect({ flag: o.flag, code: r.code, err: r.err }).toEqual({ flag: o.flag, code: 0, err: '' });
          if (o.short !== undefined) {
            const s = await cli([
              table.command,
              `-${o.short}`,
              ...(o.type === 'string' ? [sample(o)] : []),
              '--help',
            ]);
            expect({ flag: o.short, code: s.code }).toEqual({ flag: o.short, code: 0 });
          }
        }
      });

      it('an option outside the table is refused', async () => {
        const r = await cli([table.command, '--definitely-not-an-option']);
        expect(r.code).toBe(1);
      });

      it('--help lists exactly the flags of the table', async () => {
        const r = await cli([table.command, '--help']);
        expect(r.code).toBe(0);
        const options = r.out.slice(r.out.indexOf('Options:'));
        const listed = [
          ...new Set([...options.matchAll(/^ {2}(?:-\w, | {4})?--([a-z0-9-]+)/gm)].map((m) => m[1]!)),
        ].sort();
        expect(listed).toEqual(table.options.map((o) => o.flag).sort());
      });
    });
  }
});
