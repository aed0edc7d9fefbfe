/**
 * The daemon's notifications (docs/operations.md#notifications): after each pass, and when a
 * secret could not be delivered, each target is told what changed (detect.ts), through its own
 * queue: in order, one message at a time, retried with backoff (1 s, 2 s, 4 s, 8 s) when the
 * receiver fails or is unreachable, and at most `maxPerMinute` messages a minute (the rest are
 * counted and the count rides on the next message). Nothing here can fail a pass or stop the
 * daemon: a message that cannot be delivered is logged (target, event, subject; never the URL)
 * and dropped.
 */
import type { Logger } from 'pino';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../clock.js';
import { readSecretSource } from '../config/secret-source.js';
import type { NotificationEvent, NotificationSettings } from '../config/settings.js';
import type { PassReport } from '../daemon/pass-report.js';
import { scrubSecrets } from '../model/secret.js';
import { ConditionTracker, type Notification } from './detect.js';
import {
  kubernetesTarget,
  type NotificationTarget,
  type NotifyContext,
  RetryableSendError,
  webhookTarget,
} from './targets.js';

export type { WebhookBody } from './targets.js';

const ATTEMPTS = 5;
const FIRST_BACKOFF_MS = 1000;
const WINDOW_MS = 60_000;
const MAX_REMEMBERED = 1000;

export interface NotifierOptions {
  readonly targets: readonly NotificationSettings[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly context: NotifyContext;
  /** The Pod (POD_NAME, POD_NAMESPACE) and, in tests, a prebuilt client configuration. */
  readonly kubernetes: {
    readonly env: Readonly<Record<string, string | undefined>>;
    readonly kubeConfig?: KubeConfig;
  };
}

/** A secret that could not be delivered to its sink (the sink wrapper reports it). */
export interface DeliveryFailure {
  readonly sink: string;
  readonly keyName: string;
  readonly accessKey: string;
  readonly error: string;
}

class TargetQueue {
  readonly tracker: ConditionTracker;
  readonly #sent: number[] = [];
  #suppressed = 0;
  #chain: Promise<void> = Promise.resolve();

  constructor(
    readonly target: NotificationTarget,
    readonly settings: NotificationSettings,
    private readonly o: { clock: Clock; log: Logger; signal: AbortSignal },
  ) {
    this.tracker = new ConditionTracker(new Set(settings.events), settings.expiringWithinMs);
  }

  wants(event: NotificationEvent): boolean {
    return this.settings.events.includes(event);
  }

  enqueue(n: Notification): void {
    this.#chain = this.#chain.then(() => this.#deliver(n));
  }

  idle(): Promise<void> {
    return this.#chain;
  }

  async #deliver(n: Notification): Promise<void> {
    const { clock, log, signal } = this.o;
    if (signal.aborted) return;
    const now = clock.now().getTime();
    while (this.#sent.length > 0 && this.#sent[0]! <= now - WINDOW_MS) this.#sent.shift();
    if (this.#sent.length >= this.settings.maxPerMinute) {
      this.#suppressed += 1;
      log.debug(
        { target: this.target.name, event: n.event, subject: n.subject },
        'notification held back (rate limit)',
      );
      return;
    }
    this.#sent.push(now);
    const suppressed = this.#suppressed;
    const about = { target: this.target.name, type: this.target.type, event: n.event, subject: n.subject };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.target.send(n, suppressed, signal);
        this.#suppressed -= suppressed;
        log.debug({ ...about, attempt }, 'notification sent');
        return;
      } catch (err) {
        if (signal.aborted) return;
        const reason = scrubSecrets((err as Error).message);
        if (!(err instanceof RetryableSendError) || attempt >= ATTEMPTS) {
          log.warn({ ...about, attempts: attempt, reason }, 'notification not delivered');
          return;
        }
        log.debug({ ...about, attempt, reason }, 'notification failed, retrying');
        try {
          await clock.sleep(FIRST_BACKOFF_MS * 2 ** (attempt - 1), signal);
        } catch {
          return;
        }
      }
    }
  }
}

export class Notifier {
  readonly #queues: TargetQueue[];
  readonly #abort: AbortController;
  readonly #clock: Clock;
  readonly #delivered = new Set<string>();

  private constructor(queues: TargetQueue[], abort: AbortController, clock: Clock) {
    this.#queues = queues;
    this.#abort = abort;
    this.#clock = clock;
  }

  /** Resolve every target (URLs from the environment or files; the Pod from the downward API). */
  static async create(o: NotifierOptions): Promise<Notifier> {
    const log = o.logger.child({ component: 'notify' });
    const abort = new AbortController();
    const queues: TargetQueue[] = [];
    for (const t of o.targets) {
      let target: NotificationTarget | undefined;
      if (t.type === 'kubernetes') {
        const pod = o.kubernetes.env['POD_NAME'];
        const namespace = o.kubernetes.env['POD_NAMESPACE'];
        if (!pod || !namespace) {
          log.info(
            { target: t.name },
            'Kubernetes Events are off: POD_NAME and POD_NAMESPACE are not set (the downward API sets them in a cluster)',
          );
          continue;
        }
        const kc =
          o.kubernetes.kubeConfig ??
          (await import('../k8s/config.js')).loadKubeConfig({
            env: o.kubernetes.env,
            ...(t.kubeconfig ? { kubeconfig: t.kubeconfig } : {}),
          }).kubeConfig;
        target = await kubernetesTarget(t.name, kc, { name: pod, namespace }, o.context);
      } else {
        const url = await readSecretSource(
          `notifications[${t.name}]`,
          { env: t.urlEnv, file: t.urlFile },
          { env: o.env },
        );
        if (!url) continue;
        target = webhookTarget(t.name, t.type, url, o.context);
      }
      queues.push(new TargetQueue(target, t, { clock: o.clock, log, signal: abort.signal }));
    }
    return new Notifier(queues, abort, o.clock);
  }

  /** The targets in use (name and type). */
  get targets(): { name: string; type: string }[] {
    return this.#queues.map((q) => ({ name: q.target.name, type: q.target.type }));
  }

  /** After every pass: each target gets what changed for it. Never throws, never waits. */
  passFinished(report: PassReport): void {
    const now = this.#clock.now();
    for (const q of this.#queues) for (const n of q.tracker.next(report, now)) q.enqueue(n);
  }

  /** A secret that could not be delivered: once per key. */
  deliveryFailed(f: DeliveryFailure): void {
    const subject = `ApiKey/${f.keyName}`;
    const key = `delivery-failed:${subject}:${f.accessKey}`;
    if (this.#delivered.has(key)) return;
    this.#delivered.add(key);
    if (this.#delivered.size > MAX_REMEMBERED) this.#delivered.delete(this.#delivered.values().next().value!);
    const n: Notification = {
      event: 'delivery-failed',
      key,
      severity: 'error',
      subject,
      summary: scrubSecrets(
        `the secret of ${subject} (${f.accessKey}) could not be delivered to sink ${f.sink}: ${f.error}`,
      ),
      accessKey: f.accessKey,
      at: this.#clock.now().toISOString(),
    };
    for (const q of this.#queues) if (q.wants('delivery-failed')) q.enqueue(n);
  }

  /** Resolves when every queued message has been sent or given up. */
  async flush(): Promise<void> {
    await Promise.all(this.#queues.map((q) => q.idle()));
  }

  /** Stop: pending retries end, queued messages are dropped. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.flush();
  }
}
