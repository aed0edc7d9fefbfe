/**
 * A simulated world for rotation tests: a clock that only moves when told to, the in-memory
 * Scaleway organization (FakeScalewayClient) and an in-memory sink (FakeSink), plus crash
 * injection that behaves like `kill -9`.
 *
 * Crash model: when a crash fires, the world becomes "dead" for the rest of the pass: every
 * mutating call of the client and every sink write is refused, and every sleep throws. What the
 * organization and the sink hold afterwards is therefore exactly what they held at the crash
 * instant, whatever the executor tries next (compensation, retries): the state a SIGKILL leaves.
 * The next pass (a restarted process) starts from that state with no memory of the crashed one.
 */
import type { Clock } from '../../src/clock.js';
import type { CrashPoint } from '../../src/executor/crash-points.js';
import { parseKeyDescription } from '../../src/model/ownership.js';
import { FakeScalewayClient } from '../fakes/fake-scaleway.js';
import type { RecordOwner, SecretSink, SinkLocation } from '../../src/sinks/sink.js';
import { FakeSink } from '../fakes/fake-sink.js';

/** Where a crash can be injected: the executor's custody points, and around an overlap deletion. */
export type CrashMode = CrashPoint | 'before-overlap-delete' | 'after-overlap-delete';

export const CRASH_MODES: readonly CrashMode[] = [
  'before-create',
  'key-created',
  'secret-written',
  'secret-verified',
  'key-ready',
  'previous-disposed',
  'before-overlap-delete',
  'after-overlap-delete',
];

export class SimulatedCrash extends Error {
  constructor(readonly mode: CrashMode) {
    super(`simulated crash (${mode})`);
    this.name = 'SimulatedCrash';
  }
}

export class World {
  #t: number;
  dead = false;
  /** The crash to inject at the next matching point (consumed when it fires). */
  armed: CrashMode | undefined;
  /** Crashes that fired, with the simulated time. */
  readonly crashes: { mode: CrashMode; at: number }[] = [];
  readonly client: FakeScalewayClient;
  readonly sink = new FakeSink('fake');
  /** Keys the sink has ever held (their secret reached consumers); deleting them needs the overlap. */
  readonly everDelivered = new Set<string>();
  readonly clock: Clock;

  constructor(start: number) {
    this.#t = start;
    const world = this;
    this.clock = {
      now: () => new Date(world.#t),
      async sleep(ms: number, signal?: AbortSignal): Promise<void> {
        if (signal?.aborted) throw signal.reason;
        if (world.dead) throw new SimulatedCrash(world.crashes.at(-1)?.mode ?? 'before-create');
        world.#t += ms;
      },
    };
    this.client = new FakeScalewayClient({ now: () => this.clock.now() });
    this.sink.onWrite = () => this.#refuseIfDead();
    const c = this.client;
    c.intercept('createApiKey', (next, ...args) => this.#guard(() => next(...args)));
    c.intercept('updateApiKey', (next, ...args) => this.#guard(() => next(...args)));
    c.intercept('createApplication', (next, ...args) => this.#guard(() => next(...args)));
    c.intercept('updateApplication', (next, ...args) => this.#guard(() => next(...args)));
    c.intercept('deleteApiKey', async (next, accessKey, opts) => {
      this.#refuseIfDead();
      const overlapDelete = this.everDelivered.has(accessKey);
      if (overlapDelete && this.armed === 'before-overlap-delete') this.crash('before-overlap-delete');
      await next(accessKey, opts);
      if (overlapDelete && this.armed === 'after-overlap-delete') this.crash('after-overlap-delete');
    });
  }

  get now(): number {
    return this.#t;
  }

  advance(ms: number): void {
    this.#t += ms;
  }

  /** The executor's crash hook. */
  readonly crashHook = (point: CrashPoint): void => {
    if (this.armed === point) this.crash(point);
  };

  crash(mode: CrashMode): never {
    this.armed = undefined;
    this.dead = true;
    this.crashes.push({ mode, at: this.#t });
    throw new SimulatedCrash(mode);
  }

  /** The process restarts: nothing it held in memory survives, the world's state does. */
  restart(): void {
    this.dead = false;
  }

  #refuseIfDead(): void {
    if (this.dead) throw new SimulatedCrash(this.crashes.at(-1)?.mode ?? 'before-create');
  }

  async #guard<T>(op: () => Promise<T>): Promise<T> {
    this.#refuseIfDead();
    return op();
  }

  /** A real sink behind the crash model: writes are refused once the process is dead. */
  guardSink(inner: SecretSink): SecretSink {
    const world = this;
    return {
      name: inner.name,
      type: inner.type,
      preflight: (l, s) => inner.preflight(l, s),
      read: (l, s) => inner.read(l, s),
      list: (s) => inner.list(s),
      verify: (l, r, s) => inner.verify(l, r, s),
      describe: (l) => inner.describe(l),
      async write(l, r, s) {
        world.#refuseIfDead();
        return inner.write(l, r, s);
      },
      ...(inner.remove
        ? {
            remove: async (l: SinkLocation, o: RecordOwner, s?: AbortSignal) => {
              world.#refuseIfDead();
              return inner.remove!(l, o, s);
            },
          }
        : {}),
    };
  }

  /** Owned keys of one desired name, with their custody state. */
  keysOf(name: string, instance = 'default') {
    return [...this.client.apiKeys.values()]
      .map((k) => ({ key: k, marker: parseKeyDescription(k.description).marker }))
      .filter((k) => k.marker?.instance === instance && k.marker.name === name)
      .map((k) => ({ ...k.key, state: k.marker!.state }));
  }

  /** What the sink holds for a key name (vault-like location: path = key name). */
  held(name: string) {
    return this.sink.get({ sink: 'fake', path: name });
  }
}
