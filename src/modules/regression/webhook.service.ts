import { randomBytes } from 'node:crypto';
import { notFound } from '../../platform/app-error';
import type { Clock } from '../../platform/clock';
import type { Logger } from '../../platform/logger';
import { type Outcome, requireRole, type UserInputError } from '../common/user-errors';
import type { Viewer } from '../team/team.types';
import type { RegressionJobs } from './regression.queue';
import type { StoredComparison, Suite, Webhook, WebhookDelivery, WebhookEvent } from './regression.types';
import type { ComparisonNotifier } from './suite.service';
import type { WebhookRepository } from './webhook.repository';
import type { WebhookTargetPolicy } from './webhook-policy';
import type { WebhookSecretBox } from './webhook-secret';
import { signWebhookPayload, webhookHeaders } from './webhook-signature';
import type { DeliveryOutcome, WebhookTransport } from './webhook-transport';

/** What the webhook service reads of suites (implemented by the suite service). */
export interface SuiteLookup {
  suite(viewer: Viewer, id: string): Promise<Suite | undefined>;
}

const severityRank: Record<string, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

/**
 * Webhooks: a team's subscriptions, the deliveries of each stored comparison (enqueued on the
 * regression webhook queue) and one signed delivery attempt per job.
 */
export class WebhookService implements ComparisonNotifier {
  constructor(
    private readonly repo: WebhookRepository,
    private readonly suites: SuiteLookup,
    private readonly jobs: RegressionJobs,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly targets: WebhookTargetPolicy,
    private readonly secrets: WebhookSecretBox,
    private readonly transport: WebhookTransport,
  ) {}

  /** Creates a webhook; the signing secret is returned once. Admin only. */
  async createWebhook(
    viewer: Viewer,
    input: {
      url: string;
      events: readonly WebhookEvent[];
      suiteIds?: readonly string[] | null;
      minSeverity?: string | null;
    },
  ): Promise<Outcome<{ webhook: Webhook; secret: string }>> {
    requireRole(viewer, 'admin');
    const errors: UserInputError[] = [];
    const target = this.targets.check(input.url);
    if (!target.ok) errors.push({ path: ['input', 'url'], message: target.message, code: target.code });
    if (input.events.length === 0)
      errors.push({ path: ['input', 'events'], message: 'subscribe to at least one event', code: 'INVALID_EVENTS' });
    if (input.minSeverity && !(input.minSeverity in severityRank))
      errors.push({
        path: ['input', 'minSeverity'],
        message: `one of ${Object.keys(severityRank).join(', ')}`,
        code: 'INVALID_SEVERITY',
      });
    for (const [i, id] of (input.suiteIds ?? []).entries())
      if (!(await this.suites.suite(viewer, id)))
        errors.push({ path: ['input', 'suiteIds', String(i)], message: `suite ${id} not found`, code: 'NOT_FOUND' });
    if (errors.length > 0) return { userErrors: errors };
    const secret = `whsec_${randomBytes(24).toString('base64url')}`;
    const webhook = await this.repo.insertWebhook({
      teamId: viewer.teamId,
      url: input.url,
      secret: this.secrets.seal(secret),
      events: [...new Set(input.events)],
      suiteIds: [...(input.suiteIds ?? [])],
      minSeverity: input.minSeverity ?? null,
    });
    return { webhook, secret };
  }

  async deleteWebhook(viewer: Viewer, id: string): Promise<boolean> {
    requireRole(viewer, 'admin');
    if (!(await this.repo.deleteWebhook(viewer.teamId, id))) throw notFound('webhook', id);
    return true;
  }

  webhooks(viewer: Viewer): Promise<Webhook[]> {
    requireRole(viewer, 'admin');
    return this.repo.listWebhooks(viewer.teamId);
  }

  async deliveries(viewer: Viewer, webhookId: string, first?: number | null): Promise<WebhookDelivery[]> {
    requireRole(viewer, 'admin');
    if (!(await this.repo.findWebhook(viewer.teamId, webhookId))) throw notFound('webhook', webhookId);
    return this.repo.listDeliveries(viewer.teamId, webhookId, Math.min(Math.max(first ?? 20, 1), 100));
  }

  /**
   * One delivery attempt: a signed POST through the transport (policy re-checked on the resolved
   * address, no redirects). A non-2xx answer or no answer throws so BullMQ retries with backoff; a
   * refused target fails the delivery at once. The log keeps only a coarse reason (HTTP_STATUS with
   * the status, UNREACHABLE, TARGET_REFUSED), never the receiver's body or the network error.
   */
  async deliverWebhook(deliveryId: string, finalAttempt: boolean): Promise<{ status: number }> {
    const found = await this.repo.findDeliveryForJob(deliveryId);
    if (!found) return { status: 0 };
    const { delivery, webhook } = found;
    const body = JSON.stringify(delivery.payload);
    const timestamp = String(Math.floor(this.clock.now().getTime() / 1000));
    const outcome = await this.transport.post(webhook.url, body, {
      'content-type': 'application/json',
      'user-agent': 'dmasim-webhooks',
      [webhookHeaders.signature]: signWebhookPayload(this.secrets.open(webhook.secret), timestamp, body),
      [webhookHeaders.timestamp]: timestamp,
      [webhookHeaders.event]: delivery.event,
      [webhookHeaders.delivery]: delivery.id,
    });
    const status = outcome.kind === 'answered' ? outcome.status : null;
    const error = deliveryError(outcome);
    await this.repo.recordDeliveryAttempt(deliveryId, {
      status: error === null ? 'DELIVERED' : finalAttempt || outcome.kind === 'refused' ? 'FAILED' : 'PENDING',
      responseStatus: status,
      error,
      now: this.clock.now(),
    });
    if (outcome.kind === 'refused') {
      this.logger.warn({ deliveryId, webhookId: webhook.id }, 'webhook target refused by the webhook policy');
      return { status: 0 };
    }
    if (error !== null) throw new Error(`webhook delivery ${deliveryId} failed: ${error}`);
    return { status: status ?? 0 };
  }

  /** Enqueues batch.completed for every subscribed webhook, and regression when the verdict is REGRESSED and the severity filter matches. */
  async comparisonStored(suite: Suite, comparison: StoredComparison): Promise<void> {
    const webhooks = (await this.repo.listWebhooks(suite.teamId)).filter(
      (w) => w.enabled && (w.suiteIds.length === 0 || w.suiteIds.includes(suite.id)),
    );
    const summary = {
      suite: { id: suite.id, name: suite.name },
      batchId: comparison.batchId,
      baselineBatchId: comparison.baselineBatchId,
      verdict: comparison.verdict,
      counts: comparison.detail.counts,
    };
    const rows: Array<{ teamId: string; webhookId: string; event: WebhookEvent; payload: unknown }> = [];
    for (const webhook of webhooks) {
      if (webhook.events.includes('batch.completed'))
        rows.push({
          teamId: suite.teamId,
          webhookId: webhook.id,
          event: 'batch.completed',
          payload: { event: 'batch.completed', ...summary },
        });
      if (
        webhook.events.includes('regression') &&
        comparison.verdict === 'REGRESSED' &&
        meetsSeverity(comparison, webhook.minSeverity)
      ) {
        const regressions = comparison.detail.entries
          .filter((e) => e.verdict === 'REGRESSED')
          .map((e) => ({ scenario: e.scenarioName, entry: e.entryName, profile: e.profile, reasons: e.reasons }));
        rows.push({
          teamId: suite.teamId,
          webhookId: webhook.id,
          event: 'regression',
          payload: { event: 'regression', ...summary, regressions },
        });
      }
    }
    if (rows.length === 0) return;
    for (const id of await this.repo.insertDeliveries(rows)) {
      await this.jobs
        .enqueueWebhookDelivery(id)
        .catch((error: unknown) =>
          this.logger.error({ err: error, deliveryId: id }, 'could not enqueue webhook delivery; it stays PENDING'),
        );
    }
  }
}

function meetsSeverity(comparison: StoredComparison, minSeverity: string | null): boolean {
  if (!minSeverity) return true;
  const min = severityRank[minSeverity] ?? 0;
  return comparison.detail.entries.some(
    (e) =>
      e.metrics.some((m) => m.breached) || e.findings.some((f) => f.counts && (severityRank[f.severity] ?? 0) >= min),
  );
}

/** The coarse reason a delivery attempt failed, or null when the receiver answered 2xx. */
function deliveryError(outcome: DeliveryOutcome): string | null {
  if (outcome.kind === 'refused') return 'TARGET_REFUSED';
  if (outcome.kind === 'unreachable') return 'UNREACHABLE';
  return outcome.status >= 200 && outcome.status < 300 ? null : 'HTTP_STATUS';
}
