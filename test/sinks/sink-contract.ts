/**
 * The contract every SecretSink implementation must satisfy (src/sinks/sink.ts). Each sink's test
 * file calls it with a `setup` that returns a fresh, empty location (called before every test):
 *
 *   describeSinkContract('file sink (dotenv)', async () => {
 *     const dir = await mkdtemp(...);
 *     return {
 *       sink: createFileSink({ name: 'local', type: 'file', dir, format: 'dotenv' }),
 *       location: { sink: 'local', path: 'ci.env' },
 *       badLocation: { sink: 'local', path: '../escape.env' },     // and/or brokenSink
 *       teardown: () => rm(dir, { recursive: true, force: true }),
 *     };
 *   });
 *
 * A setup must supply at least one way to fail: `badLocation` (a location this sink refuses or
 * cannot write) and/or `brokenSink` (the same sink type pointed at something unreachable or
 * unwritable). The preflight and error-hygiene tests fail with a clear message when neither is given.
 *
 * `listing` drives the `list` tests: a second fresh location (in a sub-folder where the sink has
 * folders, in another namespace for Kubernetes) and a way to put something that is not a
 * scw-gitops record in the sink's scope. A suite whose credentials may not list runs with
 * `{ list: false }` and omits it; the contract then expects `list` to reject with a SinkError.
 */
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SinkError } from '../../src/errors.js';
import { Secret } from '../../src/model/secret.js';
import type { SecretRecord, SecretSink, SinkLocation } from '../../src/sinks/sink.js';
import { assertNoSecrets, errorText } from '../helpers/log-capture.js';

export interface SinkContractFixture {
  readonly sink: SecretSink;
  /** A fresh location holding no record yet. */
  readonly location: SinkLocation;
  /** A location the sink must refuse (preflight and write fail with SinkError). */
  readonly badLocation?: SinkLocation;
  /** A sink of the same type that cannot work (unreachable server, unwritable directory, bad token). */
  readonly brokenSink?: SecretSink;
  /** Required unless the suite runs with `{ list: false }`. */
  readonly listing?: {
    /** Another fresh location, e.g. `team/other.env`. */
    readonly other: SinkLocation;
    /** Put an object that is not a scw-gitops record in the sink's scope. */
    plantForeign(): Promise<void>;
  };
  /** Put something scw-gitops did not write at a location (a foreign file, Secret, Vault key). */
  plantForeignAt?(location: SinkLocation): Promise<void>;
  /** Whether that foreign object is still there. */
  foreignStillThere?(location: SinkLocation): Promise<boolean>;
  teardown(): Promise<void>;
}

const ACCESS_KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A Scaleway-shaped access key: `SCW` + 17 upper-case alphanumerics (20 chars). */
export function randomAccessKey(): string {
  let s = 'SCW';
  for (let i = 0; i < 17; i++)
    s += ACCESS_KEY_ALPHABET[Math.floor(Math.random() * ACCESS_KEY_ALPHABET.length)];
  return s;
}

/** A record like the executor writes: the secret is a UUID (Scaleway's format). */
export function makeRecord(
  overrides: { accessKey?: string; secret?: string; keyName?: string } = {},
): SecretRecord {
  const accessKey = overrides.accessKey ?? randomAccessKey();
  return {
    accessKey,
    secretKey: new Secret(overrides.secret ?? randomUUID()),
    metadata: {
      keyName: overrides.keyName ?? 'ci-deployer',
      accessKey,
      expiresAt: '2027-02-21T01:00:00.000000Z',
      revision: '0123456789abcdef0123456789abcdef01234567',
      deliveredAt: '2026-11-23T01:30:00.000Z',
      organizationId: '6867048b-fe12-4e96-835e-41c79a39604b',
      defaultProjectId: '6867048b-fe12-4e96-835e-41c79a39604b',
      instance: 'default',
      rotation: 'lifetime=30d rotateBefore=10d overlap=1h',
    },
  };
}

function failures(f: SinkContractFixture): { sink: SecretSink; location: SinkLocation; label: string }[] {
  const out: { sink: SecretSink; location: SinkLocation; label: string }[] = [];
  if (f.badLocation) out.push({ sink: f.sink, location: f.badLocation, label: 'bad location' });
  if (f.brokenSink) out.push({ sink: f.brokenSink, location: f.location, label: 'broken sink' });
  if (out.length === 0) {
    throw new Error('sink contract: setup must return badLocation and/or brokenSink to test failures');
  }
  return out;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to reject, it resolved');
}

export interface SinkContractOptions {
  /** These credentials may list (default true); false: `list` must reject with a SinkError. */
  readonly list?: boolean;
}

export function describeSinkContract(
  label: string,
  setup: () => Promise<SinkContractFixture>,
  options: SinkContractOptions = {},
): void {
  const opts = { list: options.list ?? true };
  describe(`SecretSink contract: ${label}`, () => {
    let f: SinkContractFixture;

    beforeEach(async () => {
      f = await setup();
    });

    afterEach(async () => {
      await f?.teardown();
    });

    it('has a name, a type and describes a location without secrets', () => {
      expect(f.sink.name).toBe(f.location.sink);
      expect(['file', 'vault', 'kubernetes']).toContain(f.sink.type);
      const d = f.sink.describe(f.location);
      expect(d).toMatch(/^[a-z0-9]+:/);
      expect(d.length).toBeGreaterThan(f.sink.type.length);
    });

    it('preflight succeeds on a good location and writes no record', async () => {
      await expect(f.sink.preflight(f.location)).resolves.toBeUndefined();
      expect(await f.sink.read(f.location)).toBeUndefined();
    });

    it('preflight fails with SinkError on a bad location or broken sink', async () => {
      for (const bad of failures(f)) {
        const err = await rejection(bad.sink.preflight(bad.location));
        expect(err, bad.label).toBeInstanceOf(SinkError);
        expect((err as SinkError).sink, bad.label).toBe(bad.sink.name);
        expect((err as SinkError).message.length, bad.label).toBeGreaterThan(0);
      }
    });

    it('read of a location with no record returns undefined', async () => {
      expect(await f.sink.read(f.location)).toBeUndefined();
    });

    it('write then read returns the access key, the secret (as Secret) and the metadata', async () => {
      const rec = makeRecord();
      await f.sink.write(f.location, rec);
      const got = await f.sink.read(f.location);
      expect(got).toBeDefined();
      expect(got!.accessKey).toBe(rec.accessKey);
      expect(got!.secretKey).toBeInstanceOf(Secret);
      expect(got!.secretKey!.equals(rec.secretKey)).toBe(true);
      expect(got!.metadata.keyName).toBe(rec.metadata.keyName);
      expect(got!.metadata.accessKey).toBe(rec.accessKey);
      expect(got!.metadata.expiresAt).toBe(rec.metadata.expiresAt);
      expect(got!.metadata.revision).toBe(rec.metadata.revision);
      expect(got!.metadata.deliveredAt).toBe(rec.metadata.deliveredAt);
      expect(got!.metadata.instance).toBe(rec.metadata.instance);
      expect(got!.metadata.rotation).toBe(rec.metadata.rotation);
      // The record read back never prints its secret.
      assertNoSecrets(
        [JSON.stringify(got), inspect(got, { depth: 10 }), String(got!.secretKey)],
        [rec.secretKey.reveal()],
      );
    });

    it('keeps a null expiry as null', async () => {
      const base = makeRecord();
      const rec: SecretRecord = { ...base, metadata: { ...base.metadata, expiresAt: null } };
      await f.sink.write(f.location, rec);
      const got = await f.sink.read(f.location);
      expect(got!.metadata.expiresAt ?? null).toBeNull();
    });

    it('verify is true for the written record, false for another secret or another access key', async () => {
      const rec = makeRecord();
      await f.sink.write(f.location, rec);
      expect(await f.sink.verify(f.location, rec)).toBe(true);
      const otherSecret = makeRecord({ accessKey: rec.accessKey });
      expect(await f.sink.verify(f.location, otherSecret)).toBe(false);
      const otherAccess = makeRecord({ secret: rec.secretKey.reveal() });
      expect(await f.sink.verify(f.location, otherAccess)).toBe(false);
    });

    it('verify is false (not an error) when nothing was written', async () => {
      expect(await f.sink.verify(f.location, makeRecord())).toBe(false);
    });

    it('writing the same record twice is an idempotent no-op', async () => {
      const rec = makeRecord();
      await f.sink.write(f.location, rec);
      const first = await f.sink.read(f.location);
      await f.sink.write(f.location, rec);
      const second = await f.sink.read(f.location);
      expect(second!.accessKey).toBe(rec.accessKey);
      expect(second!.secretKey!.equals(rec.secretKey)).toBe(true);
      expect(await f.sink.verify(f.location, rec)).toBe(true);
      if (first!.version !== undefined && second!.version !== undefined) {
        expect(second!.version).toBe(first!.version);
      }
      // An idempotent rewrite must not turn the key into its own predecessor.
      expect(second!.metadata.previousAccessKey).not.toBe(rec.accessKey);
    });

    it('writing a new access key replaces the record and records previousAccessKey', async () => {
      const old = makeRecord();
      await f.sink.write(f.location, old);
      const next = makeRecord();
      await f.sink.write(f.location, next);
      const got = await f.sink.read(f.location);
      expect(got!.accessKey).toBe(next.accessKey);
      expect(got!.secretKey!.equals(next.secretKey)).toBe(true);
      expect(got!.metadata.previousAccessKey).toBe(old.accessKey);
      expect(await f.sink.verify(f.location, next)).toBe(true);
      expect(await f.sink.verify(f.location, old)).toBe(false);
    });

    it('an explicit previousAccessKey in the metadata is kept', async () => {
      const base = makeRecord();
      const rec: SecretRecord = {
        ...base,
        metadata: { ...base.metadata, previousAccessKey: 'SCWPREVIOUS0000000000' },
      };
      await f.sink.write(f.location, rec);
      const got = await f.sink.read(f.location);
      expect(got!.metadata.previousAccessKey).toBe('SCWPREVIOUS0000000000');
    });

    const listingOf = (): NonNullable<SinkContractFixture['listing']> => {
      if (!f.listing) throw new Error('sink contract: a listable setup must return `listing`');
      return f.listing;
    };

    it.runIf(!opts.list)('list rejects with a SinkError when the credentials may not list', async () => {
      const err = await rejection(f.sink.list());
      expect(err).toBeInstanceOf(SinkError);
      expect((err as SinkError).sink).toBe(f.sink.name);
    });

    it.runIf(opts.list)(
      'list of a sink without records finds none (foreign objects are not records)',
      async () => {
        await listingOf().plantForeign();
        expect(await f.sink.list()).toEqual({ records: [], incomplete: [] });
      },
    );

    it.runIf(opts.list)(
      'list finds every record at a location read accepts, with its metadata and no secret',
      async () => {
        const first = makeRecord({ keyName: 'first' });
        const second = makeRecord({ keyName: 'second' });
        await f.sink.write(f.location, first);
        await f.sink.write(listingOf().other, second);
        await listingOf().plantForeign();
        const listing = await f.sink.list();
        expect(listing.incomplete).toEqual([]);
        expect(listing.records.map((r) => r.accessKey).sort()).toEqual(
          [first.accessKey, second.accessKey].sort(),
        );
        for (const entry of listing.records) {
          const written = entry.accessKey === first.accessKey ? first : second;
          expect(entry.location.sink).toBe(f.sink.name);
          expect(entry.metadata).toMatchObject({
            keyName: written.metadata.keyName,
            accessKey: written.accessKey,
            rotation: written.metadata.rotation,
          });
          expect(entry).not.toHaveProperty('secretKey');
          // The location is one read, verify and describe take as they are.
          const again = await f.sink.read(entry.location);
          expect(again?.accessKey).toBe(written.accessKey);
          expect(await f.sink.verify(entry.location, written)).toBe(true);
          if (again?.version !== undefined) expect(entry.version).toBe(again.version);
        }
        const at = (accessKey: string) => listing.records.find((r) => r.accessKey === accessKey)!.location;
        expect(f.sink.describe(at(first.accessKey))).toBe(f.sink.describe(f.location));
        expect(f.sink.describe(at(second.accessKey))).toBe(f.sink.describe(listingOf().other));
        const order = listing.records.map((r) => f.sink.describe(r.location));
        expect(listing.records).toHaveLength(2);
        expect(new Set(order).size).toBe(2);
        assertNoSecrets(
          [JSON.stringify(listing), inspect(listing, { depth: 10 })],
          [first.secretKey.reveal(), second.secretKey.reveal()],
        );
      },
    );

    it.runIf(opts.list)('list on a broken sink rejects with a SinkError and no secret', async () => {
      if (!f.brokenSink) throw new Error('sink contract: a listable setup must return `brokenSink`');
      const rec = makeRecord();
      await f.sink.write(f.location, rec);
      const err = await rejection(f.brokenSink.list());
      expect(err).toBeInstanceOf(SinkError);
      expect((err as SinkError).sink).toBe(f.brokenSink.name);
      assertNoSecrets([errorText(err), inspect(err, { depth: 10 })], [rec.secretKey.reveal()]);
    });

    // I4: a record is removed only when, read just before, it is ours and holds the expected key.
    describe('remove (the record of a deleted key)', () => {
      const ownerOf = (rec: SecretRecord) => ({
        accessKey: rec.accessKey,
        instance: rec.metadata.instance!,
        keyName: rec.metadata.keyName,
      });

      it('removes our record holding the expected access key; then the place is empty', async () => {
        const rec = makeRecord();
        await f.sink.write(f.location, rec);
        expect(await f.sink.remove!(f.location, ownerOf(rec))).toBe('removed');
        expect(await f.sink.read(f.location)).toBeUndefined();
        expect(await f.sink.remove!(f.location, ownerOf(rec))).toBe('absent');
      });

      it('leaves a record holding another key, or of another instance or key name, in place', async () => {
        const rec = makeRecord();
        await f.sink.write(f.location, rec);
        const other = makeRecord();
        expect(await f.sink.remove!(f.location, ownerOf(other))).toBe('other-key');
        expect(await f.sink.remove!(f.location, { ...ownerOf(rec), instance: 'staging' })).toBe('not-ours');
        expect(await f.sink.remove!(f.location, { ...ownerOf(rec), keyName: 'another-key' })).toBe(
          'not-ours',
        );
        expect(await f.sink.verify(f.location, rec)).toBe(true);
      });

      it('never removes what scw-gitops did not write', async () => {
        if (!f.plantForeignAt) return;
        await f.plantForeignAt(f.location);
        const rec = makeRecord();
        expect(await f.sink.remove!(f.location, ownerOf(rec))).toBe('not-ours');
        expect(await f.foreignStillThere!(f.location)).toBe(true);
      });
    });

    it('no secret value appears in any thrown error', async () => {
      const rec = makeRecord();
      const errors: unknown[] = [];
      for (const bad of failures(f)) {
        errors.push(await rejection(bad.sink.write(bad.location, rec)));
        const r = await bad.sink.verify(bad.location, rec).then(
          (v) => v,
          (e: unknown) => e,
        );
        if (r !== false) errors.push(r);
        if (r === true) throw new Error(`${bad.label}: verify returned true for a record it could not write`);
      }
      for (const e of errors) {
        expect(e).toBeInstanceOf(SinkError);
      }
      assertNoSecrets(
        errors.map((e) => errorText(e)),
        [rec.secretKey.reveal()],
      );
      assertNoSecrets(
        errors.map((e) => inspect(e, { depth: 10 })),
        [rec.secretKey.reveal()],
      );
    });
  });
}
