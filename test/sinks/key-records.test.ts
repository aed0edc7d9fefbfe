/**
 * Finding the records of owned keys that no declared place holds (src/sinks/key-records.ts): the
 * input of `sink-moved` and of `DeleteStep.removeRecords` (docs/design/secret-moves.md §4).
 */
import { describe, expect, it } from 'vitest';
import type { SinkSettings } from '../../src/config/settings.js';
import { Secret } from '../../src/model/secret.js';
import { findKeyRecords, recordCandidates } from '../../src/sinks/key-records.js';
import type { SecretSink } from '../../src/sinks/sink.js';
import { FakeSink } from '../fakes/fake-sink.js';
import { accessKey, liveState, lKey } from '../planner/builders.js';

const VAULT: SinkSettings = {
  name: 'fake',
  type: 'vault',
  address: 'http://127.0.0.1:1',
  mount: 'secret',
  pathPrefix: 'scw',
  auth: { method: 'token', tokenEnv: 'VAULT_TOKEN' },
  timeoutMs: 1000,
};

async function put(sink: FakeSink, path: string, key: string, meta: { instance?: string; keyName: string }) {
  await sink.write(
    { sink: sink.name, path },
    {
      accessKey: key,
      secretKey: new Secret('11111111-2222-4333-8444-555555555555'),
      metadata: {
        keyName: meta.keyName,
        accessKey: key,
        expiresAt: null,
        deliveredAt: '2026-06-01T00:00:00.000Z',
        ...(meta.instance !== undefined ? { instance: meta.instance } : {}),
      },
    },
  );
}

describe('recordCandidates', () => {
  it('owned keys of this instance that no observed place holds', () => {
    const live = liveState({
      apiKeys: [
        lKey('held', { name: 'ci' }),
        lKey('moved', { name: 'web', state: 'retiring' }),
        lKey('foreign', { name: 'web', instance: 'staging' }),
      ],
    });
    const observed = new Map([['ApiKey/ci' as const, { accessKey: accessKey('held') }]]);
    expect([...recordCandidates(live, 'default', observed)]).toEqual([[accessKey('moved'), 'web']]);
  });
});

describe('findKeyRecords', () => {
  it('lists nothing when there is no candidate', async () => {
    const sink = new FakeSink();
    const found = await findKeyRecords(new Map([[sink.name, sink]]), {
      settings: [VAULT],
      instance: 'default',
      candidates: new Map(),
    });
    expect(found.byAccessKey.size).toBe(0);
    expect(sink.ops.filter((o) => o.op === 'list')).toEqual([]);
  });

  it("finds a candidate's records with this instance and key name, as planned places", async () => {
    const sink = new FakeSink();
    const moved = accessKey('moved');
    await put(sink, 'old/web', moved, { instance: 'default', keyName: 'web' });
    await put(sink, 'elsewhere', moved, { instance: 'staging', keyName: 'web' }); // another instance
    await put(sink, 'renamed', moved, { instance: 'default', keyName: 'other' }); // another name
    await put(sink, 'ci', accessKey('held'), { instance: 'default', keyName: 'ci' }); // not a candidate
    const found = await findKeyRecords(new Map([[sink.name, sink as SecretSink]]), {
      settings: [VAULT],
      instance: 'default',
      candidates: new Map([[moved, 'web']]),
    });
    expect(Object.fromEntries(found.byAccessKey)).toEqual({
      [moved]: [{ sink: 'fake', type: 'vault', path: 'old/web', target: 'vault:secret/data/scw/old/web' }],
    });
    expect(found.unsearched).toEqual([]);
  });

  it('skips a sink with removeRecords: false, and names a sink that cannot list', async () => {
    const kept = new FakeSink('kept');
    const broken = new FakeSink('broken');
    broken.failReads = 1;
    const found = await findKeyRecords(
      new Map<string, SecretSink>([
        ['kept', kept],
        ['broken', broken],
      ]),
      {
        settings: [
          { ...VAULT, name: 'kept', removeRecords: false },
          { ...VAULT, name: 'broken' },
        ],
        instance: 'default',
        candidates: new Map([[accessKey('moved'), 'web']]),
      },
    );
    expect(kept.ops.filter((o) => o.op === 'list')).toEqual([]);
    expect(found.unsearched).toEqual(['sink broken: list refused (injected)']);
  });
});
