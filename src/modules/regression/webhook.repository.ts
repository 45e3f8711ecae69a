import type { Database } from '../../platform/db';
import type {
  Prisma,
  Webhook as WebhookRow,
  WebhookDelivery as WebhookDeliveryRow,
} from '../../generated/prisma/client';
import type { DeliveryStatus, Webhook, WebhookDelivery, WebhookEvent } from './regression.types';

/** All SQL of webhooks and their delivery log (the webhook and webhook_delivery tables). Team-scoped except findDeliveryForJob and recordDeliveryAttempt. */
export class WebhookRepository {
  constructor(private readonly db: Database) {}

  async insertWebhook(input: Omit<Webhook, 'id' | 'createdAt' | 'enabled'>): Promise<Webhook> {
    return toWebhook(
      await this.db.webhook.create({ data: { ...input, events: [...input.events], suiteIds: [...input.suiteIds] } }),
    );
  }

  async deleteWebhook(teamId: string, id: string): Promise<boolean> {
    return (await this.db.webhook.deleteMany({ where: { id, teamId } })).count === 1;
  }

  async findWebhook(teamId: string, id: string): Promise<Webhook | undefined> {
    const row = await this.db.webhook.findFirst({ where: { id, teamId } });
    return row ? toWebhook(row) : undefined;
  }

  async listWebhooks(teamId: string): Promise<Webhook[]> {
    return (await this.db.webhook.findMany({ where: { teamId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] })).map(
      toWebhook,
    );
  }

  async insertDeliveries(
    rows: ReadonlyArray<{ teamId: string; webhookId: string; event: WebhookEvent; payload: unknown }>,
  ): Promise<string[]> {
    const created = await this.db.$transaction(
      rows.map((row) =>
        this.db.webhookDelivery.create({
          data: { ...row, payload: row.payload as Prisma.InputJsonValue },
          select: { id: true },
        }),
      ),
    );
    return created.map((r) => r.id);
  }

  /** A delivery with its webhook, by id alone (the delivery job carries only the id). */
  async findDeliveryForJob(id: string): Promise<{ delivery: WebhookDelivery; webhook: Webhook } | undefined> {
    const delivery = await this.db.webhookDelivery.findUnique({ where: { id } });
    const webhook = delivery ? await this.db.webhook.findUnique({ where: { id: delivery.webhookId } }) : null;
    return delivery && webhook ? { delivery: toDelivery(delivery), webhook: toWebhook(webhook) } : undefined;
  }

  async recordDeliveryAttempt(
    id: string,
    outcome: { status: DeliveryStatus; responseStatus: number | null; error: string | null; now: Date },
  ): Promise<void> {
    await this.db.webhookDelivery.update({
      where: { id },
      data: {
        status: outcome.status,
        attempts: { increment: 1 },
        responseStatus: outcome.responseStatus,
        lastError: outcome.error,
        ...(outcome.status === 'DELIVERED' ? { deliveredAt: outcome.now } : {}),
      },
    });
  }

  async listDeliveries(teamId: string, webhookId: string, first: number): Promise<WebhookDelivery[]> {
    return (
      await this.db.webhookDelivery.findMany({
        where: { teamId, webhookId },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: first,
      })
    ).map(toDelivery);
  }
}

function toWebhook(row: WebhookRow): Webhook {
  return {
    id: row.id,
    teamId: row.teamId,
    url: row.url,
    secret: row.secret,
    events: row.events as WebhookEvent[],
    suiteIds: row.suiteIds,
    minSeverity: row.minSeverity,
    enabled: row.enabled,
    createdAt: row.createdAt,
  };
}

function toDelivery(row: WebhookDeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    webhookId: row.webhookId,
    event: row.event as WebhookEvent,
    payload: row.payload,
    status: row.status as DeliveryStatus,
    attempts: row.attempts,
    responseStatus: row.responseStatus,
    lastError: row.lastError,
    createdAt: row.createdAt,
    deliveredAt: row.deliveredAt,
  };
}
