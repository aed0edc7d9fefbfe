import { lstat, mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKubernetesSink } from '../../src/sinks/kubernetes-sink.js';
import type { KubernetesEmulator } from '../emulators/kubernetes/server.js';
import { projectSecretVolume } from '../emulators/kubernetes/volume.js';
import { makeRecord } from '../sinks/sink-contract.js';
import { NAMESPACE, startEmulator, type Wire } from './fixtures.js';

describe('Secret volume projection (kubelet layout)', () => {
  let emu: KubernetesEmulator;
  let dir: string;

  beforeEach(async () => {
    emu = await startEmulator();
    dir = await mkdtemp(path.join(tmpdir(), 'secret-volume-'));
  });

  afterEach(async () => {
    await emu.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a rotated Secret reaches a mounted volume through the ..data symlink swap', async () => {
    const sink = createKubernetesSink({
      name: 'c',
      type: 'kubernetes',
      namespace: NAMESPACE,
      kubeconfig: emu.kubeconfigPath,
      reloader: false,
      labels: {},
    });
    const loc = { sink: 'c', secretName: 'scw-api-key' };
    const first = makeRecord();
    await sink.write(loc, first);
    const mount = path.join(dir, 'mnt');
    const data = () =>
      (emu.control.get('secrets', NAMESPACE, 'scw-api-key') as Wire).data as Record<string, string>;
    await projectSecretVolume(mount, data(), new Date('2026-03-01T10:00:00Z'));
    expect((await lstat(path.join(mount, 'SCW_SECRET_KEY'))).isSymbolicLink()).toBe(true);
    expect(await readlink(path.join(mount, 'SCW_SECRET_KEY'))).toBe(path.join('..data', 'SCW_SECRET_KEY'));
    const firstTarget = await readlink(path.join(mount, '..data'));
    expect(firstTarget).toMatch(/^\.\.2026_03_01_10_00_00\.[0-9a-f]{10}$/);
    expect(await readFile(path.join(mount, 'SCW_ACCESS_KEY'), 'utf8')).toBe(first.accessKey);

    const next = makeRecord();
    await sink.write(loc, next);
    await projectSecretVolume(mount, data(), new Date('2026-03-01T10:01:00Z'));
    expect(await readlink(path.join(mount, '..data'))).not.toBe(firstTarget);
    expect(await readFile(path.join(mount, 'SCW_ACCESS_KEY'), 'utf8')).toBe(next.accessKey);
    expect(await readFile(path.join(mount, 'SCW_SECRET_KEY'), 'utf8')).toBe(next.secretKey.reveal());
    // The old timestamped directory is gone; exactly one remains.
    const stamped = (await readdir(mount)).filter((e) => /^\.\.\d{4}_/.test(e));
    expect(stamped).toHaveLength(1);
  });
});
