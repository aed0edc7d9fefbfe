/**
 * File sink: one file per API key in the sink's directory, for local use, CI runners and
 * sidecar-less deployments (a mounted volume).
 *
 * Formats (settings `format`):
 * - `dotenv` (default file name `<key name>.env`): directly usable by the Scaleway CLI/SDKs
 *   (`set -a; . ./ci.env`), non-secret metadata as comment lines so sourcing the file exports
 *   nothing else:
 *
 *     # Managed by scw-gitops. Do not edit: the next reconcile replaces this file.
 *     # scw-gitops:keyName=ci-deployer
 *     # scw-gitops:accessKey=SCWXXXXXXXXXXXXXXXXX
 *     # scw-gitops:expiresAt=2027-02-21T01:00:00.000000Z        (`never` when it does not expire)
 *     # scw-gitops:deliveredAt=…  revision=…  previousAccessKey=…  instance=…  rotation=…
 *     SCW_ACCESS_KEY=SCWXXXXXXXXXXXXXXXXX
 *     SCW_SECRET_KEY=<uuid>
 *     SCW_DEFAULT_ORGANIZATION_ID=<uuid>                          (when known)
 *     SCW_DEFAULT_PROJECT_ID=<uuid>                               (when known)
 *
 * - `json` (default file name `<key name>.json`):
 *     { "apiVersion": "scw-gitops/v1alpha1", "kind": "ApiKeySecret", "accessKey", "secretKey",
 *       "metadata": { keyName, accessKey, expiresAt, deliveredAt, ... } }
 *
 * Durability and safety:
 * - the directory is created with mode 0700 (a pre-existing directory open to group/others is
 *   logged as a warning, not changed); files are 0600;
 * - writes are atomic: a temp file in the same directory (created 0600, O_EXCL), fsync, rename
 *   over the target, fsync of the directory. A crash leaves either the old or the new file, plus
 *   at most a stray `.*.tmp` file that the next write of that key removes;
 * - concurrent writers are serialised by a lock file (`.<name>.lock`, O_EXCL, holding the writer's
 *   pid; a lock whose process is gone, or older than a minute, is taken over), and the version read before the write
 *   (inode, mtime, size) is checked again under the lock: a record changed by someone else in
 *   between is never silently overwritten;
 * - locations are file names relative to the directory; absolute paths and `..` escapes are refused,
 *   and so is a symbolic link anywhere between the directory and the file (each component is
 *   checked with lstat, before and after creating sub-directories): a secret never lands outside
 *   the sink's directory. The directory itself may be a link (a mounted volume);
 * - nothing from a file's content ever goes into an error message or a log line.
 */
import { randomBytes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { lstat, mkdir, open, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { pino } from 'pino';
import type { FileSinkSettings } from '../config/settings.js';
import { SinkError } from '../errors.js';
import { API_VERSION } from '../model/resources.js';
import { Secret } from '../model/secret.js';
import { listFileRecords } from './file-sink-list.js';
import {
  removalCheck,
  type SecretMetadata,
  type SecretRecord,
  type SecretSink,
  type SinkLocation,
  type StoredRecord,
} from './sink.js';

/** A file sink exposes its format and absolute directory (location defaults, diagnostics). */
export interface FileSink extends SecretSink {
  readonly type: 'file';
  readonly format: FileSinkSettings['format'];
  readonly dir: string;
}

export interface FileSinkDeps {
  readonly logger?: pino.Logger;
  /** Base directory for a relative `dir` (default: process.cwd()). */
  readonly cwd?: string;
}

const DIR_MODE = 0o700;
/** A lock file older than this is taken over whoever it names. */
const STALE_LOCK_MS = 60_000;
const FILE_MODE = 0o600;
const COMMENT_PREFIX = '# scw-gitops:';
const RECORD_KIND = 'ApiKeySecret';
const METADATA_FIELDS = [
  'keyName',
  'accessKey',
  'expiresAt',
  'deliveredAt',
  'revision',
  'previousAccessKey',
  'organizationId',
  'defaultProjectId',
  'instance',
  'rotation',
] as const satisfies readonly (keyof SecretMetadata)[];

const RETRYABLE_CODES = new Set(['EAGAIN', 'EBUSY', 'EMFILE', 'ENFILE', 'EIO', 'EINTR', 'ETIMEDOUT']);

/** Default file name of a key's record in a file sink (src/model/sink-location.ts). */
export { defaultFileName } from '../model/sink-location.js';

function fsCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined;
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new Error('aborted');
}

interface Parsed {
  accessKey?: string;
  secretKey?: string;
  metadata: Partial<Record<keyof SecretMetadata, string | null>>;
}

/** A metadata value safe on one comment line. */
function oneLine(v: string): string {
  return v.replace(/[\r\n]/g, ' ');
}

function serialize(format: FileSinkSettings['format'], rec: SecretRecord, meta: SecretMetadata): string {
  if (format === 'json') {
    const metadata: Record<string, string | null> = {};
    for (const f of METADATA_FIELDS) {
      const v = meta[f];
      if (v !== undefined) metadata[f] = v;
    }
    return `${JSON.stringify(
      {
        apiVersion: API_VERSION,
        kind: RECORD_KIND,
        accessKey: rec.accessKey,
        secretKey: rec.secretKey.reveal(),
        metadata,
      },
      null,
      2,
    )}\n`;
  }
  const lines = ['# Managed by scw-gitops. Do not edit: the next reconcile replaces this file.'];
  for (const f of METADATA_FIELDS) {
    const v = meta[f];
    if (v === undefined) continue;
    lines.push(`${COMMENT_PREFIX}${f}=${v === null ? 'never' : oneLine(v)}`);
  }
  lines.push(`SCW_ACCESS_KEY=${rec.accessKey}`);
  lines.push(`SCW_SECRET_KEY=${rec.secretKey.reveal()}`);
  if (meta.organizationId) lines.push(`SCW_DEFAULT_ORGANIZATION_ID=${meta.organizationId}`);
  if (meta.defaultProjectId) lines.push(`SCW_DEFAULT_PROJECT_ID=${meta.defaultProjectId}`);
  return `${lines.join('\n')}\n`;
}

function unquote(v: string): string {
  const t = v.trim();
  if (t.length >= 2 && ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'")))) {
    return t.slice(1, -1);
  }
  return t;
}

/** Returns undefined when the text is not a record of ours (never says why in terms of content). */
function parse(format: FileSinkSettings['format'], text: string): Parsed | undefined {
  if (format === 'json') {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (typeof doc !== 'object' || doc === null) return undefined;
    const o = doc as Record<string, unknown>;
    const metadata: Parsed['metadata'] = {};
    const m =
      typeof o.metadata === 'object' && o.metadata !== null ? (o.metadata as Record<string, unknown>) : {};
    for (const f of METADATA_FIELDS) {
      const v = m[f];
      if (typeof v === 'string' || v === null) metadata[f] = v;
    }
    const out: Parsed = { metadata };
    if (typeof o.accessKey === 'string') out.accessKey = o.accessKey;
    if (typeof o.secretKey === 'string' && o.secretKey.length > 0) out.secretKey = o.secretKey;
    return out;
  }
  const metadata: Parsed['metadata'] = {};
  const out: Parsed = { metadata };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith(COMMENT_PREFIX)) {
      const body = line.slice(COMMENT_PREFIX.length);
      const eq = body.indexOf('=');
      if (eq <= 0) continue;
      const field = body.slice(0, eq) as keyof SecretMetadata;
      if (!(METADATA_FIELDS as readonly string[]).includes(field)) continue;
      const value = body.slice(eq + 1);
      metadata[field] = field === 'expiresAt' && value === 'never' ? null : value;
      continue;
    }
    if (line.startsWith('#') || line.length === 0) continue;
    const m = /^(?:export\s+)?([A-Z_][A-Z0-9_]*)\s*=(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === 'SCW_ACCESS_KEY') out.accessKey = unquote(m[2]!);
    else if (m[1] === 'SCW_SECRET_KEY') {
      const v = unquote(m[2]!);
      if (v.length > 0) out.secretKey = v;
    }
  }
  if (out.accessKey === undefined && out.secretKey === undefined) return undefined;
  return out;
}

function versionOf(s: { ino: bigint; mtimeNs: bigint; size: bigint }): string {
  return `${s.ino}-${s.mtimeNs}-${s.size}`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return fsCode(err) === 'EPERM';
  }
}

export function createFileSink(settings: FileSinkSettings, deps: FileSinkDeps = {}): FileSink {
  const name = settings.name;
  const format = settings.format;
  const root = resolve(deps.cwd ?? process.cwd(), settings.dir);
  const log = deps.logger?.child({ sink: name, sinkType: 'file' });
  let warnedDirMode = false;

  const fail = (what: string, err?: unknown): SinkError => {
    if (err instanceof SinkError) return err;
    const code = fsCode(err);
    return new SinkError(name, code ? `${what}: ${code}` : what, {
      retryable: code !== undefined && RETRYABLE_CODES.has(code),
      // fs errors carry paths and codes only, never file contents.
      ...(err !== undefined ? { cause: err } : {}),
    });
  };

  /** The absolute file path of a location, refusing anything outside the directory. */
  const pathOf = (location: SinkLocation): string => {
    const p = location.path;
    if (p === undefined || p.length === 0) throw fail('location has no file name');
    if (isAbsolute(p))
      throw fail(`refusing absolute path ${JSON.stringify(p)}: use a name relative to ${root}`);
    if (p.includes('\0')) throw fail('refusing a file name containing NUL');
    const full = resolve(root, p);
    const rel = relative(root, full);
    if (rel.length === 0 || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
      throw fail(`refusing path ${JSON.stringify(p)}: it escapes the sink directory ${root}`);
    }
    const base = basename(full);
    if (base.startsWith('.') && (base.endsWith('.tmp') || base.endsWith('.lock'))) {
      throw fail(`refusing file name ${JSON.stringify(p)}: reserved for temporary files`);
    }
    return full;
  };

  /**
   * Refuse a symbolic link at any component between the sink directory and `dir` (the sink
   * directory itself may be a link: a mounted volume). A missing component is fine: it is created
   * (0700) by ensureDir, and checked again before anything is written.
   */
  const assertNoLinkBelowRoot = async (dir: string): Promise<void> => {
    const rel = relative(root, dir);
    if (rel === '') return;
    let current = root;
    for (const part of rel.split(sep)) {
      current = join(current, part);
      let s: Awaited<ReturnType<typeof lstat>>;
      try {
        s = await lstat(current);
      } catch (err) {
        if (fsCode(err) === 'ENOENT') return;
        throw fail(`cannot inspect ${current}`, err);
      }
      if (s.isSymbolicLink()) {
        throw fail(`${current} is a symbolic link; refusing to follow it (secrets stay inside ${root})`);
      }
      if (!s.isDirectory()) throw fail(`${current} is not a directory`);
    }
  };

  /** The file of a location, with no symbolic link between the sink directory and it. */
  const fileOf = async (location: SinkLocation): Promise<string> => {
    const file = pathOf(location);
    await assertNoLinkBelowRoot(dirname(file));
    return file;
  };

  const ensureDir = async (dir: string): Promise<void> => {
    try {
      await mkdir(dir, { recursive: true, mode: DIR_MODE });
      const s = await stat(dir);
      if (!s.isDirectory()) throw fail(`${dir} is not a directory`);
      if (!warnedDirMode && (s.mode & 0o077) !== 0) {
        warnedDirMode = true;
        log?.warn(
          { dir, mode: (s.mode & 0o777).toString(8) },
          'secret directory is accessible to group or others; restrict it to 0700',
        );
      }
    } catch (err) {
      throw fail(`cannot create directory ${dir}`, err);
    }
  };

  const fsyncDir = async (dir: string): Promise<void> => {
    let h: FileHandle | undefined;
    try {
      h = await open(dir, 'r');
      await h.sync();
    } catch (err) {
      // Some file systems refuse fsync on directories; the rename itself already happened.
      if (!['EINVAL', 'EISDIR', 'EBADF', 'EPERM'].includes(fsCode(err) ?? '')) throw err;
    } finally {
      await h?.close();
    }
  };

  const readAt = async (
    file: string,
  ): Promise<{ parsed: Parsed; version: string; mode: number } | undefined> => {
    let text: string;
    let version: string;
    let mode: number;
    try {
      const s = await lstat(file, { bigint: true });
      if (s.isSymbolicLink()) throw fail(`${file} is a symbolic link; refusing to follow it`);
      if (!s.isFile()) throw fail(`${file} is not a regular file`);
      text = await readFile(file, 'utf8');
      version = versionOf(s);
      mode = Number(s.mode & 0o777n);
    } catch (err) {
      if (fsCode(err) === 'ENOENT') return undefined;
      throw fail(`cannot read ${file}`, err);
    }
    const parsed = parse(format, text);
    if (!parsed) throw fail(`${file} is not a scw-gitops ${format} secret record`);
    return { parsed, version, mode };
  };

  const toStored = (p: Parsed, version: string): StoredRecord => {
    const metadata: Partial<Record<keyof SecretMetadata, string | null>> = {};
    for (const f of METADATA_FIELDS) {
      const v = p.metadata[f];
      if (v !== undefined) metadata[f] = v;
    }
    return {
      accessKey: p.accessKey ?? '',
      ...(p.secretKey !== undefined ? { secretKey: new Secret(p.secretKey) } : {}),
      metadata: metadata as Partial<SecretMetadata>,
      version,
    };
  };

  const acquireLock = async (file: string): Promise<() => Promise<void>> => {
    const lock = join(dirname(file), `.${basename(file)}.lock`);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const h = await open(lock, 'wx', FILE_MODE);
        await h.writeFile(`${process.pid}\n`);
        await h.close();
        return async () => {
          await rm(lock, { force: true });
        };
      } catch (err) {
        if (fsCode(err) !== 'EEXIST') throw fail(`cannot create lock ${lock}`, err);
        const holder = Number.parseInt(await readFile(lock, 'utf8').catch(() => ''), 10);
        // A write holds the lock for milliseconds; an old lock is stale even if its pid now
        // names another live process (pid reuse after a restart, another container's pid).
        const age = await stat(lock).then(
          (s) => Date.now() - s.mtimeMs,
          () => Number.POSITIVE_INFINITY,
        );
        if (
          Number.isFinite(holder) &&
          holder > 0 &&
          holder !== process.pid &&
          age < STALE_LOCK_MS &&
          processAlive(holder)
        ) {
          throw new SinkError(name, `${file} is being written by process ${holder} (lock ${lock})`, {
            retryable: true,
          });
        }
        // Stale lock (holder gone, e.g. killed mid-write) or our own leftover: take it over.
        await rm(lock, { force: true });
      }
    }
    throw new SinkError(name, `cannot acquire lock for ${file}`, { retryable: true });
  };

  const removeStrayTemps = async (file: string): Promise<void> => {
    const { readdir } = await import('node:fs/promises');
    const prefix = `.${basename(file)}.`;
    const dir = dirname(file);
    for (const entry of await readdir(dir)) {
      if (entry.startsWith(prefix) && entry.endsWith('.tmp')) await rm(join(dir, entry), { force: true });
    }
  };

  return {
    name,
    type: 'file',
    format,
    dir: root,

    describe(location: SinkLocation): string {
      try {
        return `file:${pathOf(location)}`;
      } catch {
        return `file:${root}/${location.path ?? '?'}`;
      }
    },

    async preflight(location, signal) {
      checkAborted(signal);
      const file = await fileOf(location);
      await ensureDir(dirname(file));
      await assertNoLinkBelowRoot(dirname(file));
      const probe = join(
        dirname(file),
        `.scw-gitops-probe-${process.pid}-${randomBytes(4).toString('hex')}.tmp`,
      );
      try {
        const h = await open(probe, 'wx', FILE_MODE);
        try {
          await h.writeFile('probe\n');
          await h.sync();
        } finally {
          await h.close();
        }
      } catch (err) {
        throw fail(`directory ${dirname(file)} is not writable`, err);
      } finally {
        await rm(probe, { force: true }).catch(() => undefined);
      }
      // An existing record must be readable and ours (a foreign file would be clobbered).
      await readAt(file);
    },

    async read(location, signal) {
      checkAborted(signal);
      const file = await fileOf(location);
      const got = await readAt(file);
      if (!got) return undefined;
      if ((got.mode & 0o077) !== 0) {
        log?.warn({ file, mode: got.mode.toString(8) }, 'secret file is accessible to group or others');
      }
      return toStored(got.parsed, got.version);
    },

    list(signal) {
      return listFileRecords({ sink: name, root, parse: (text) => parse(format, text), versionOf, signal });
    },

    async verify(location, record, signal) {
      checkAborted(signal);
      const got = await readAt(await fileOf(location));
      if (!got || got.parsed.accessKey !== record.accessKey || got.parsed.secretKey === undefined)
        return false;
      return record.secretKey.equals(got.parsed.secretKey);
    },

    async remove(location, owner, signal) {
      checkAborted(signal);
      const file = await fileOf(location);
      const release = await acquireLock(file);
      try {
        let got: Awaited<ReturnType<typeof readAt>>;
        try {
          got = await readAt(file);
        } catch (err) {
          // Not a record of ours (a foreign file, a link): never removed.
          if (err instanceof SinkError) return 'not-ours';
          throw err;
        }
        if (!got) return 'absent';
        const { secretKey: _secret, ...parsed } = got.parsed;
        const stored = toStored(parsed, got.version);
        const refused = removalCheck(stored, owner);
        if (refused) return refused;
        // Compare-and-delete: the file must still be the one just read.
        const now = versionOf(await lstat(file, { bigint: true }));
        if (now !== got.version) {
          throw new SinkError(name, `${file} changed while removing it; left in place`, { retryable: true });
        }
        await unlink(file);
        await fsyncDir(dirname(file));
        log?.info({ file, accessKey: owner.accessKey }, 'secret record removed');
        return 'removed';
      } catch (err) {
        if (fsCode(err) === 'ENOENT') return 'absent';
        throw fail(`cannot remove ${file}`, err);
      } finally {
        await release();
      }
    },

    async write(location, record, signal) {
      checkAborted(signal);
      const file = await fileOf(location);
      const dir = dirname(file);
      await ensureDir(dir);
      await assertNoLinkBelowRoot(dir);
      const before = await readAt(file);
      if (
        before &&
        before.parsed.accessKey === record.accessKey &&
        before.parsed.secretKey !== undefined &&
        record.secretKey.equals(before.parsed.secretKey)
      ) {
        log?.debug({ file, accessKey: record.accessKey }, 'secret record already in place');
        return;
      }
      const previous =
        record.metadata.previousAccessKey ??
        (before?.parsed.accessKey && before.parsed.accessKey !== record.accessKey
          ? before.parsed.accessKey
          : (before?.parsed.metadata.previousAccessKey ?? undefined));
      const meta: SecretMetadata = {
        ...record.metadata,
        accessKey: record.accessKey,
        ...(previous ? { previousAccessKey: previous } : {}),
      };
      const content = serialize(format, record, meta);

      const release = await acquireLock(file);
      const tmp = join(dir, `.${basename(file)}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
      try {
        await removeStrayTemps(file).catch(() => undefined);
        // Compare-and-swap: refuse when the record changed since we read it.
        let current: string | undefined;
        try {
          current = versionOf(await lstat(file, { bigint: true }));
        } catch (err) {
          if (fsCode(err) !== 'ENOENT') throw fail(`cannot stat ${file}`, err);
        }
        if (current !== before?.version) {
          throw new SinkError(name, `${file} changed while writing; refusing to overwrite it`, {
            retryable: true,
          });
        }
        checkAborted(signal);
        let h: FileHandle | undefined;
        try {
          h = await open(tmp, 'wx', FILE_MODE);
          await h.chmod(FILE_MODE);
          await h.writeFile(content, 'utf8');
          await h.sync();
        } finally {
          await h?.close();
        }
        await rename(tmp, file);
        await fsyncDir(dir);
        log?.debug({ file, accessKey: record.accessKey }, 'secret record written');
      } catch (err) {
        await unlink(tmp).catch(() => undefined);
        throw fail(`cannot write ${file}`, err);
      } finally {
        await release();
      }
    },
  };
}
