import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { observeSinks } from '../../src/sinks/observe.js';
import type { DesiredState } from '../../src/model/desired.js';
import { Secret } from '../../src/model/secret.js';
import { createFileSink } from '../../src/sinks/file-sink.js';
import { FakeSink } from '../fakes/fake-sink.js';
import { desiredApp, desiredKey, FAKE_SINK_LAYOUT } from '../helpers/builders.js';

function state(...resources: DesiredState['resources'][number][]): DesiredState {
  return { root: '.', resources };
}

const rec = (accessKey: string, previousAccessKey?: string) => ({
  accessKey,
  secretKey: new Secret('d3a1c2b4-0000-4000-8000-00000000abcd'),
  metadata: {
    keyName: 'x',
    accessKey,
    expiresAt: null,
    deliveredAt: '2026-11-20T00:00:00.000Z',
    ...(previousAccessKey ? { previousAccessKey } : {}),
  },
});

describe('observeSinks', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'scw-gitops-observe-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports what each desired key’s sink holds, per address, without secrets', async () => {
    const sink = new FakeSink('fake');
    await sink.write({ sink: 'fake', path: 'held' }, rec('SCWHELDHELDHELDHELDH', 'SCWPREVPREVPREVPREVP'));
    const other = new FakeSink('other');
    other.failReads = 1;
    const obs = await observeSinks(
      state(
        desiredApp('ci'),
        desiredKey('held', 'ci'),
        desiredKey('empty', 'ci'),
        desiredKey('broken', 'ci', { sink: { sink: 'other' } }),
        desiredKey('unknown', 'ci', { sink: { sink: 'nope' } }),
      ),
      new Map([
        ['fake', sink],
        ['other', other],
      ]),
      { layouts: [FAKE_SINK_LAYOUT, { ...FAKE_SINK_LAYOUT, name: 'other' }], defaultSink: 'fake' },
    );
    expect([...obs.keys()]).toEqual(['ApiKey/held', 'ApiKey/empty', 'ApiKey/broken', 'ApiKey/unknown']);
    expect(obs.get('ApiKey/held')).toEqual({
      accessKey: 'SCWHELDHELDHELDHELDH',
      previousAccessKey: 'SCWPREVPREVPREVPREVP',
      deliveredAt: '2026-11-20T00:00:00.000Z',
    });
    expect(obs.get('ApiKey/empty')).toEqual({ accessKey: null });
    expect(obs.get('ApiKey/broken')).toMatchObject({
      accessKey: null,
      error: expect.stringContaining('read refused'),
    });
    expect(obs.get('ApiKey/unknown')).toMatchObject({
      accessKey: null,
      error: expect.stringContaining('nope'),
    });
    expect(JSON.stringify([...obs])).not.toContain('d3a1c2b4');
  });

  it('reads each key where the plan will put it (the file sink’s dotenv default name)', async () => {
    const settings = { name: 'local', type: 'file', dir, format: 'dotenv' } as const;
    const sink = createFileSink(settings);
    await sink.write({ sink: 'local', path: 'ci.env' }, rec('SCWFILEFILEFILEFILEF'));
    // The only declared sink is the default.
    const obs = await observeSinks(state(desiredKey('ci', 'app')), new Map([['local', sink]]), {
      layouts: [settings],
    });
    expect(obs.get('ApiKey/ci')).toMatchObject({ accessKey: 'SCWFILEFILEFILEFILEF' });
    // A json file sink would read ci.json: nothing there.
    const json = await observeSinks(state(desiredKey('ci', 'app')), new Map([['local', sink]]), {
      layouts: [{ ...settings, format: 'json' }],
    });
    expect(json.get('ApiKey/ci')).toEqual({ accessKey: null });
  });

  it('treats a record without its secret as not in custody', async () => {
    const sink = new FakeSink('fake');
    sink.read = async () => ({ accessKey: 'SCWNOSECRETNOSECRETN', metadata: {} });
    const obs = await observeSinks(state(desiredKey('k', 'ci')), new Map([['fake', sink]]), {
      layouts: [FAKE_SINK_LAYOUT],
      defaultSink: 'fake',
    });
    expect(obs.get('ApiKey/k')).toEqual({ accessKey: null });
  });
});
