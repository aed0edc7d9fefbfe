/**
 * Where notifications go (docs/operations.md#notifications): an outgoing webhook (Slack-compatible
 * JSON, or the documented JSON body) or a Kubernetes Event on the daemon's Pod. A target only
 * sends; retries, the rate limit and the queue are the Notifier's.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Secret } from '../model/secret.js';
import type { Notification } from './detect.js';

export interface NotifyContext {
  readonly instance: string;
  readonly organizationId: string;
}

/** The `webhook` body, version 1 (docs/operations.md#notifications). */
export interface WebhookBody {
  readonly version: 1;
  readonly event: Notification['event'];
  readonly severity: Notification['severity'];
  readonly instance: string;
  readonly organizationId: string;
  readonly subject?: string;
  readonly summary: string;
  readonly location?: Notification['location'];
  readonly accessKey?: string;
  readonly previousAccessKey?: string;
  readonly revision?: string;
  readonly at: string;
  /** Messages this target held back (rate limit) since the previous one. */
  readonly suppressed?: number;
}

/** A send that may be tried again (network error, 429, 5xx); anything else is final. */
export class RetryableSendError extends Error {}

export interface NotificationTarget {
  readonly name: string;
  readonly type: 'slack' | 'webhook' | 'kubernetes';
  send(n: Notification, suppressed: number, signal: AbortSignal): Promise<void>;
}

export function webhookBody(n: Notification, ctx: NotifyContext, suppressed: number): WebhookBody {
  return {
    version: 1,
    event: n.event,
    severity: n.severity,
    instance: ctx.instance,
    organizationId: ctx.organizationId,
    ...(n.subject ? { subject: n.subject } : {}),
    summary: n.summary,
    ...(n.location ? { location: n.location } : {}),
    ...(n.accessKey ? { accessKey: n.accessKey } : {}),
    ...(n.previousAccessKey ? { previousAccessKey: n.previousAccessKey } : {}),
    ...(n.revision ? { revision: n.revision } : {}),
    at: n.at,
    ...(suppressed > 0 ? { suppressed } : {}),
  };
}

const TITLES: Readonly<Record<Notification['event'], string>> = {
  'pass-failed': 'Pass failed',
  'object-blocked': 'Object blocked',
  'key-rotated': 'Key rotated',
  'key-expiring': 'Key expiring',
  'delivery-failed': 'Secret delivery failed',
  'desired-state-invalid': 'Desired state invalid',
};

/** Slack's incoming-webhook JSON: `text` (with mrkdwn off for the summary's own characters). */
export function slackBody(n: Notification, ctx: NotifyContext, suppressed: number): { text: string } {
  const icon =
    n.severity === 'error' ? ':red_circle:' : n.severity === 'warning' ? ':warning:' : ':white_check_mark:';
  const held = suppressed > 0 ? ` (${suppressed} more held back by the rate limit)` : '';
  return { text: `[${ctx.instance}] ${icon} ${TITLES[n.event]}: ${n.summary}${held}` };
}

export function webhookTarget(
  name: string,
  type: 'slack' | 'webhook',
  url: Secret,
  ctx: NotifyContext,
  timeoutMs = 10_000,
): NotificationTarget {
  return {
    name,
    type,
    async send(n, suppressed, signal) {
      const body = type === 'slack' ? slackBody(n, ctx, suppressed) : webhookBody(n, ctx, suppressed);
      let res: Response;
      try {
        res = await fetch(url.reveal(), {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'scw-gitops' },
          body: JSON.stringify(body),
          signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
          redirect: 'error',
        });
      } catch (err) {
        if (signal.aborted) throw err;
        // Never the error's own text: it may quote the URL.
        const code = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
        throw new RetryableSendError(`request failed (${code})`);
      }
      await res.body?.cancel();
      if (res.ok) return;
      if (res.status === 429 || res.status >= 500) throw new RetryableSendError(`HTTP ${res.status}`);
      throw new Error(`HTTP ${res.status}`);
    },
  };
}

const REASONS: Readonly<Record<Notification['event'], string>> = {
  'pass-failed': 'PassFailed',
  'object-blocked': 'ObjectBlocked',
  'key-rotated': 'KeyRotated',
  'key-expiring': 'KeyExpiring',
  'delivery-failed': 'SecretDeliveryFailed',
  'desired-state-invalid': 'DesiredStateInvalid',
};

/**
 * A core/v1 Event on the Pod (its name and namespace from the downward API). The Kubernetes client
 * is loaded here, on use, not when the daemon starts without Kubernetes targets.
 */
export async function kubernetesTarget(
  name: string,
  kubeConfig: KubeConfig,
  pod: { readonly name: string; readonly namespace: string },
  ctx: NotifyContext,
): Promise<NotificationTarget> {
  const { CoreV1Api } = await import('@kubernetes/client-node');
  const core = kubeConfig.makeApiClient(CoreV1Api);
  let seq = 0;
  return {
    name,
    type: 'kubernetes',
    async send(n, suppressed) {
      seq += 1;
      const held = suppressed > 0 ? ` (${suppressed} more held back by the rate limit)` : '';
      const message = `[${ctx.instance}] ${n.summary}${held}`;
      try {
        await core.createNamespacedEvent({
          namespace: pod.namespace,
          body: {
            apiVersion: 'v1',
            kind: 'Event',
            metadata: {
              name: `${pod.name}.${Date.parse(n.at).toString(16)}${seq.toString(16).padStart(4, '0')}`,
              namespace: pod.namespace,
              labels: { 'app.kubernetes.io/name': 'scw-gitops' },
            },
            involvedObject: { apiVersion: 'v1', kind: 'Pod', name: pod.name, namespace: pod.namespace },
            reason: REASONS[n.event],
            message: message.length > 1024 ? `${message.slice(0, 1023)}…` : message,
            type: n.severity === 'info' ? 'Normal' : 'Warning',
            source: { component: 'scw-gitops' },
            reportingComponent: 'scw-gitops',
            reportingInstance: pod.name,
            firstTimestamp: new Date(n.at),
            lastTimestamp: new Date(n.at),
            count: 1,
          },
        });
      } catch (err) {
        const code = (err as { code?: number }).code;
        if (code === undefined || code === 429 || code >= 500)
          throw new RetryableSendError(`Kubernetes API ${code ?? 'unreachable'}`);
        throw new Error(`Kubernetes API ${code}`);
      }
    },
  };
}
