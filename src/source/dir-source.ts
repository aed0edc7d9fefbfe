/**
 * `source.dir`: a directory something else keeps up to date (git-sync, a checkout, a ConfigMap).
 * Nothing to fetch or verify; the revision is read from git-sync's link or a `.git` beside the
 * files (src/daemon/revision.ts), at each snapshot.
 */
import path from 'node:path';
import { readRevision } from '../daemon/revision.js';
import type { DesiredSource, SourceSnapshot, SyncResult } from './desired-source.js';

export class DirSource implements DesiredSource {
  readonly kind = 'dir' as const;
  readonly dir: string;

  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  async snapshot(): Promise<SourceSnapshot> {
    const rev = await readRevision(this.dir);
    return {
      accepted: {
        dir: this.dir,
        ...(rev ? { revision: rev.revision } : {}),
        ...(rev?.ref ? { ref: rev.ref } : {}),
        verification: { status: 'not-checked', object: 'commit', reason: 'source.dir is not verified' },
      },
    };
  }

  async sync(): Promise<SyncResult> {
    return { changed: false, snapshot: await this.snapshot(), fetched: false };
  }

  status(): Record<string, unknown> {
    return { type: 'dir', dir: this.dir };
  }

  async close(): Promise<void> {}
}
