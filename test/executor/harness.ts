/** Shared setup of executor tests: fake org, fake sink, fake clock, captured logs. */
import { expect } from 'vitest';
import type { ExecutorDeps } from '../../src/executor/execute-plan.js';
import type { ApiKey } from '../../src/model/live.js';
import { parseKeyDescription } from '../../src/model/ownership.js';
import type { ApplySummary } from '../../src/model/plan.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { FakeScalewayClient, type FakeSeed } from '../fakes/fake-scaleway.js';
import { FakeSink } from '../fakes/fake-sink.js';
import { assertNoSecrets, createLogCapture, type LogCapture } from '../helpers/log-capture.js';

export interface Harness {
  readonly clock: FakeClock;
  readonly client: FakeScalewayClient;
  readonly sink: FakeSink;
  readonly logs: LogCapture;
  deps(overrides?: Partial<ExecutorDeps>): ExecutorDeps;
  /** Keys carrying our marker for `name`, with their custody state. */
  keysOf(name: string): (ApiKey & { state: string })[];
  /** Asserts nothing secret went into logs, outcomes or error messages. */
  assertClean(summary: ApplySummary): void;
}

export function harness(seed: FakeSeed = {}): Harness {
  const clock = new FakeClock();
  const client = new FakeScalewayClient({ now: () => clock.now(), seed });
  const sink = new FakeSink('fake');
  const logs = createLogCapture();
  return {
    clock,
    client,
    sink,
    logs,
    deps(overrides = {}) {
      return {
        client,
        sinks: new Map([[sink.name, sink]]),
        clock,
        logger: logs.logger,
        retry: { baseDelayMs: 10, maxDelayMs: 100, sinkDelayMs: 10 },
        crashHook: () => undefined,
        ...overrides,
      };
    },
    keysOf(name) {
      return [...client.apiKeys.values()]
        .map((k) => ({ ...k, state: parseKeyDescription(k.description).marker }))
        .filter((k) => k.state?.name === name && k.state.instance === 'default')
        .map((k) => ({ ...k, state: k.state!.state }));
    },
    assertClean(summary) {
      const issued = [...client.issuedSecrets.values()].map((s) => s.reveal());
      expect(issued.length).toBeGreaterThan(0);
      assertNoSecrets(logs.raw, issued);
      assertNoSecrets([JSON.stringify(summary)], issued);
    },
  };
}
