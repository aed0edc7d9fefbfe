/**
 * File-change trigger for the desired-state directory.
 *
 * - chokidar watches the directory's real path (hidden entries such as `.git` ignored) and every
 *   event restarts a debounce timer; a burst of edits yields one `onChange` call. A maximum wait
 *   (10 × debounce) makes sure a never-ending trickle of events still triggers.
 * - git-sync publishes by swapping a symlink atomically (docs/design/kubernetes.md §11). If the directory is,
 *   or lies under, a symlink, the link's parent directory is watched with `fs.watch` (the rename
 *   shows up there, not in the old target) and the link is also polled with `readlink` (cheap and
 *   race-free, the reader-side method git-sync documents). When the target changes, the content
 *   watcher is moved to the new real path and a change is reported.
 * - A directory that does not exist yet (git-sync before its first sync) is waited for; its
 *   appearance is reported as a change.
 */
import { type FSWatcher as NodeFsWatcher, watch as fsWatch } from 'node:fs';
import { readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import type { Logger } from 'pino';
import { findLink } from './revision.js';

export interface SourceWatcherOptions {
  readonly dir: string;
  readonly debounceMs: number;
  /** Called once per debounced burst; `reason` is `file-change` or `source-swapped`. */
  readonly onChange: (reason: string, detail: { paths: readonly string[] }) => void;
  readonly logger: Logger;
  /** Poll interval of the git-sync link (default 1000 ms). */
  readonly linkPollMs?: number;
  /** Use polling in chokidar (network filesystems). */
  readonly usePolling?: boolean;
}

export interface SourceWatcher {
  /** Real path currently watched. */
  readonly target: () => string;
  /** The symlink being followed, if any. */
  readonly link: string | undefined;
  close(): Promise<void>;
}

const HIDDEN = /(^|[/\\])\.[^/\\]/;

export async function watchSource(opts: SourceWatcherOptions): Promise<SourceWatcher> {
  const dir = path.resolve(opts.dir);
  const log = opts.logger.child({ component: 'source-watcher' });
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let firstEventAt: number | undefined;
  let pendingReason = 'file-change';
  let pendingPaths = new Set<string>();
  const maxWaitMs = Math.max(opts.debounceMs * 10, 1000);
  const pollMs = opts.linkPollMs ?? 1000;

  const fire = () => {
    timer = undefined;
    firstEventAt = undefined;
    const paths = [...pendingPaths].sort();
    const reason = pendingReason;
    pendingPaths = new Set();
    pendingReason = 'file-change';
    if (!closed) opts.onChange(reason, { paths });
  };

  const schedule = (reason: string, p?: string) => {
    if (closed) return;
    if (reason !== 'file-change') pendingReason = reason;
    if (p !== undefined && pendingPaths.size < 50) pendingPaths.add(p);
    const now = Date.now();
    firstEventAt ??= now;
    if (timer) clearTimeout(timer);
    const wait = Math.max(0, Math.min(opts.debounceMs, firstEventAt + maxWaitMs - now));
    timer = setTimeout(fire, wait);
  };

  const startContent = async (root: string): Promise<FSWatcher> => {
    const w = watch(root, {
      ignoreInitial: true,
      persistent: true,
      followSymlinks: true,
      usePolling: opts.usePolling ?? false,
      ignored: (p: string) => HIDDEN.test(path.relative(root, p)),
    });
    w.on('all', (event, p) => {
      log.debug({ event, path: path.relative(root, p) }, 'source changed');
      schedule('file-change', path.relative(root, p));
    });
    w.on('error', (err) => log.warn({ err }, 'file watcher error'));
    await new Promise<void>((resolve) => w.once('ready', () => resolve()));
    return w;
  };

  let real: string | undefined = await realpath(dir).catch(() => undefined);
  let content: FSWatcher | undefined;
  let link: string | undefined;
  let lastLinkTarget: string | undefined;
  let linkWatcher: NodeFsWatcher | undefined;
  let poll: NodeJS.Timeout | undefined;
  let checking = false;

  const checkLink = async () => {
    if (!link || closed || checking) return;
    checking = true;
    try {
      const target = await readlink(link).catch(() => undefined);
      if (target === undefined || target === lastLinkTarget) return;
      const next = await realpath(dir).catch(() => undefined);
      if (next === undefined) return; // mid-swap; the next poll will see it
      lastLinkTarget = target;
      if (next !== real) {
        log.info({ link, target: path.basename(target) }, 'source link swapped; following the new target');
        const old = content;
        real = next;
        content = await startContent(next);
        await old?.close().catch(() => undefined);
      }
      schedule('source-swapped');
    } finally {
      checking = false;
    }
  };

  const startLink = async () => {
    link = await findLink(dir);
    if (!link) return;
    lastLinkTarget = await readlink(link).catch(() => undefined);
    const linkName = path.basename(link);
    try {
      linkWatcher = fsWatch(path.dirname(link), { persistent: false }, (_event, filename) => {
        if (!filename || filename.toString() === linkName) void checkLink();
      });
      linkWatcher.on('error', (err) => log.debug({ err }, 'link directory watch error; polling continues'));
    } catch (err) {
      log.debug({ err }, 'cannot watch the link directory; polling only');
    }
    poll = setInterval(() => void checkLink(), pollMs);
    poll.unref();
  };

  let waiting: NodeJS.Timeout | undefined;
  if (real !== undefined) {
    content = await startContent(real);
    await startLink();
    log.info({ dir, target: real, link }, 'watching desired state');
  } else {
    // git-sync may not have published the first commit yet: wait for the directory to appear.
    log.warn({ dir }, 'desired-state directory does not exist yet; waiting for it');
    let starting = false;
    waiting = setInterval(() => {
      if (starting || closed) return;
      starting = true;
      void (async () => {
        const found = await realpath(dir).catch(() => undefined);
        if (found === undefined || closed) {
          starting = false;
          return;
        }
        clearInterval(waiting);
        waiting = undefined;
        real = found;
        content = await startContent(found);
        await startLink();
        log.info({ dir, target: real, link }, 'desired state appeared; watching it');
        schedule('source-appeared');
      })();
    }, pollMs);
    waiting.unref();
  }

  return {
    target: () => real ?? dir,
    get link() {
      return link;
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      if (poll) clearInterval(poll);
      if (waiting) clearInterval(waiting);
      linkWatcher?.close();
      await content?.close();
    },
  };
}
