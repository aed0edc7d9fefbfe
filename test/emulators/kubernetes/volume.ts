/**
 * File-level emulation of a Secret volume mount as the kubelet writes it (docs/design/kubernetes.md §10,
 * §13.15): every key is a symlink `key -> ..data/key`, `..data` is a symlink to a timestamped
 * directory `..2006_01_02_15_04_05.<rand>`, and an update writes a new directory, then swaps
 * `..data` atomically with rename() and deletes the old directory. Readers that watch the
 * directory (not the file inode) and re-open the path see the new content.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readlink, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

function stampDir(now: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const ts = `${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}`;
  return `..${ts}.${randomBytes(5).toString('hex')}`;
}

/**
 * Project `data` (Secret `data`: key → base64) into `dir` with the kubelet's layout. Call again
 * with new data to emulate the kubelet sync after a rotation.
 */
export async function projectSecretVolume(
  dir: string,
  data: Readonly<Record<string, string>>,
  now = new Date(),
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const fresh = stampDir(now);
  await mkdir(path.join(dir, fresh), { mode: 0o755 });
  for (const [k, v] of Object.entries(data)) {
    await writeFile(path.join(dir, fresh, k), Buffer.from(v, 'base64'), { mode: 0o644 });
  }
  let previous: string | undefined;
  try {
    previous = await readlink(path.join(dir, '..data'));
  } catch {
    previous = undefined;
  }
  // Atomic swap: new link under a temporary name, renamed over ..data.
  const tmp = path.join(dir, '..data_tmp');
  await rm(tmp, { force: true });
  await symlink(fresh, tmp);
  await rename(tmp, path.join(dir, '..data'));
  // User-visible names point through ..data; drop the ones whose key vanished.
  const entries = await readdir(dir);
  for (const e of entries) {
    if (e.startsWith('..')) continue;
    if (!(e in data)) await rm(path.join(dir, e), { force: true });
  }
  for (const k of Object.keys(data)) {
    if (!entries.includes(k)) await symlink(path.join('..data', k), path.join(dir, k));
  }
  if (previous && previous !== fresh) await rm(path.join(dir, previous), { recursive: true, force: true });
}
