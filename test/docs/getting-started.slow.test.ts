/**
 * docs/getting-started.md, run as a new user would run it: its fenced blocks, in order, in a
 * scratch copy of the repository (the files a clone has), against the sandbox. The rules for
 * which blocks run and how are in the HTML comment at the top of the guide; in short: ```sh
 * blocks run (each command exits 0, or the "exit code N" its comment names), ```sh background
 * blocks keep running (the block after one is retried while it starts; the `export` lines it
 * prints apply to later blocks), ```yaml file=NAME blocks are written, ```sh not-run and other
 * languages are shown only. `npm ci` is skipped and the fixed ports become free ones.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDesiredFromTexts } from '../../src/desired/load.js';
import { waitFor } from '../helpers/wait-for.js';

const repo = resolve(import.meta.dirname, '../..');
const GUIDE = 'docs/getting-started.md';

interface Block {
  readonly lang: string;
  readonly attrs: readonly string[];
  readonly body: string;
  readonly line: number;
}

/** The fenced blocks of a Markdown text, with their info string split into language and words. */
function fencedBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    blocks.push({
      lang: open[1]!,
      attrs: open[2]!.trim().split(/\s+/).filter(Boolean),
      body: body.join('\n'),
      line: start + 1,
    });
  }
  return blocks;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((res) => {
    execFile(cmd, args, { cwd, env, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (err as { code?: number | string }).code : 0;
      res({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

/** The files of a clone: tracked and untracked-but-not-ignored, copied; node_modules linked. */
async function scratchClone(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'scw-gitops-guide-'));
  const listed = await run(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    repo,
    process.env,
  );
  expect(listed.code, listed.stderr).toBe(0);
  for (const file of listed.stdout.split('\0').filter(Boolean)) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await cp(join(repo, file), join(dir, file)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err; // deleted in the working tree, not yet committed
    });
  }
  await symlink(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Where the daemon started by the guide listens: the main port (8080) and the admin one (8081). */
interface DaemonAddresses {
  main?: string;
  admin?: string;
}

/** A command line of the guide as the test runs it (see the rules at the top of the guide). */
function substitute(line: string, daemon: DaemonAddresses): string {
  let out = line.replace(/^npm ci && /, '').replace(/--port 9443\b/, '--port 0');
  if (daemon.main) out = out.replace(/\b(?:127\.0\.0\.1|localhost):8080\b/g, daemon.main);
  if (daemon.admin) out = out.replace(/\b(?:127\.0\.0\.1|localhost):8081\b/g, daemon.admin);
  return out;
}

/** The commands of a block, each with the exit code its comment names (default 0). */
function commandsOf(body: string, daemon: DaemonAddresses): { cmd: string; expected: string }[] {
  const out: { cmd: string; expected: string }[] = [];
  for (const raw of body.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [command = '', comment = ''] = line.split(/\s+#\s?(.*)$/s);
    if (/^npm ci$/.test(command.trim())) continue;
    out.push({
      cmd: substitute(command.trim(), daemon),
      expected: /exit code (\d+)/.exec(comment)?.[1] ?? '0',
    });
  }
  return out;
}

/** A block as a bash script that checks every command's exit code. */
function blockScript(body: string, daemon: DaemonAddresses): string {
  return commandsOf(body, daemon)
    .flatMap(({ cmd, expected }) => [
      `${cmd}`,
      `__code=$?`,
      `if [ "$__code" -ne ${expected} ]; then echo ${JSON.stringify(`guide: expected exit code ${expected}:`)} ${JSON.stringify(cmd)} "got $__code" >&2; exit 1; fi`,
    ])
    .join('\n');
}

const blocks = fencedBlocks(await readFile(join(repo, GUIDE), 'utf8'));

describe('docs/getting-started.md', () => {
  it('declares the blocks the test knows how to run', () => {
    for (const b of blocks) {
      if (b.lang !== 'sh' && b.lang !== 'yaml') continue;
      const known = b.lang === 'sh' ? [[], ['background'], ['not-run']] : [[], ['file=']];
      const attrs = b.attrs.map((a) => a.replace(/^file=.*/, 'file='));
      expect(
        known.map((k) => k.join(' ')),
        `line ${b.line}: ${b.lang} ${b.attrs.join(' ')}`,
      ).toContain(attrs.join(' '));
    }
    expect(blocks.filter((b) => b.lang === 'sh' && b.attrs.length === 0).length).toBeGreaterThanOrEqual(4);
    expect(blocks.filter((b) => b.attrs.includes('background')).length).toBeGreaterThanOrEqual(2);
  });

  describe('run as written against the sandbox', { timeout: 300_000 }, () => {
    let dir: string;
    let home: string;
    const background: ChildProcess[] = [];
    const outputs: string[] = [];

    beforeAll(async () => {
      dir = await scratchClone();
      home = await mkdtemp(join(tmpdir(), 'scw-gitops-guide-home-'));
    }, 120_000);

    afterAll(async () => {
      for (const child of background) {
        if (child.exitCode !== null || child.signalCode !== null) continue;
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        process.kill(-child.pid!, 'SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
      await rm(home, { recursive: true, force: true });
    });

    it('every block works, in order', async () => {
      const exported: Record<string, string> = {};
      const daemon: DaemonAddresses = {};
      const env = () => ({
        PATH: `${dirname(process.execPath)}:/usr/bin:/bin`,
        HOME: home,
        SCW_CONFIG_PATH: join(home, 'no-scw-config.yaml'),
        SCW_GITOPS_PORT: '0',
        NO_COLOR: '1',
        npm_config_cache: join(home, '.npm'),
        npm_config_update_notifier: 'false',
        ...exported,
      });
      /** What background commands printed so far: their exports and the daemon's address. */
      const absorb = (text: string) => {
        for (const m of text.matchAll(/^export (\w+)=(\S+)$/gm)) exported[m[1]!] = m[2]!;
        for (const line of text.split('\n')) {
          if (!line.includes('"http server listening"')) continue;
          try {
            const l = JSON.parse(line) as { listener?: string; url?: string };
            const address = l.url?.replace(/^http:\/\//, '');
            if (address && (l.listener === 'main' || l.listener === 'admin')) daemon[l.listener] = address;
          } catch {
            // a partial line: the next chunk completes it
          }
        }
      };

      let afterBackground = false;
      let ran = 0;
      for (const b of blocks) {
        if (b.lang === 'yaml' && b.attrs[0]?.startsWith('file=')) {
          await writeFile(join(dir, b.attrs[0].slice('file='.length)), `${b.body}\n`);
          continue;
        }
        if (b.lang !== 'sh' || b.attrs.includes('not-run')) continue;
        if (b.attrs.includes('background')) {
          const script = commandsOf(b.body, daemon)
            .map((c) => c.cmd)
            .join('\n');
          const child = spawn('bash', ['--noprofile', '--norc', '-c', script], {
            cwd: dir,
            env: env(),
            detached: true,
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          background.push(child);
          const seen: string[] = [];
          outputs.push(`--- ${GUIDE}:${b.line} (background)`);
          const onData = (d: Buffer) => {
            seen.push(d.toString());
            outputs.push(d.toString());
            absorb(seen.join(''));
          };
          child.stdout!.on('data', onData);
          child.stderr!.on('data', onData);
          afterBackground = true;
          continue;
        }
        // The block after a background one waits for it to start, as its reader would.
        let attempt = 0;
        const passes = async () => {
          attempt += 1;
          const r = await run(
            'bash',
            ['--noprofile', '--norc', '-c', blockScript(b.body, daemon)],
            dir,
            env(),
          );
          outputs.push(`--- ${GUIDE}:${b.line} (attempt ${attempt})`, r.stdout, r.stderr);
          if (r.code !== 0) {
            throw new Error(
              `${GUIDE}:${b.line}: the block failed (exit ${r.code}):\n${outputs.join('\n').slice(-8000)}`,
            );
          }
          return true;
        };
        if (afterBackground) {
          await waitFor(passes, { timeoutMs: 60_000, intervalMs: 500, what: `${GUIDE}:${b.line}` });
        } else await passes();
        afterBackground = false;
        ran++;
      }
      expect(ran).toBeGreaterThanOrEqual(4);
      // What the guide says the commands produce.
      expect(await readFile(join(dir, 'plan.md'), 'utf8')).toMatch(/^### scw-gitops plan\n/);
      expect(await readFile(join(dir, 'failure.md'), 'utf8')).toMatch(/^### scw-gitops plan failed\n/);
      expect(background.every((c) => c.exitCode === null)).toBe(true);
    });
  });

  it('suggests an edit that keeps examples/basic valid: removing the Policy document of an apps file', async () => {
    const guide = await readFile(join(repo, GUIDE), 'utf8');
    const file = /delete the `Policy` document.*?`(examples\/basic\/apps\/[a-z-]+\.yaml)`/.exec(
      guide.replace(/\s+/g, ' '),
    )?.[1];
    expect(file).toBeDefined();
    const { readdir } = await import('node:fs/promises');
    const root = join(repo, 'examples/basic');
    const files: { file: string; text: string }[] = [];
    const walk = async (d: string) => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        if (e.isDirectory()) await walk(join(d, e.name));
        else
          files.push({
            file: join(d, e.name).slice(root.length + 1),
            text: await readFile(join(d, e.name), 'utf8'),
          });
      }
    };
    await walk(root);
    const target = files.find((f) => `examples/basic/${f.file}` === file)!;
    const docs = target.text.split(/^---$/m);
    const withoutPolicy = docs.filter((d) => !/^kind: Policy$/m.test(d));
    expect(withoutPolicy.length).toBe(docs.length - 1);
    target.text = withoutPolicy.join('---');
    const loaded = loadDesiredFromTexts(root, files, {
      instance: 'sandbox',
      now: new Date(),
      sinkNames: ['local'],
      defaultSink: 'local',
    });
    expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(loaded.state!.resources.filter((r) => r.kind === 'Policy')).toHaveLength(4);
  });
});
