import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers of a webhook delivery. The signature covers `${timestamp}.${body}`, so a replayed body with a new timestamp fails. */
export const webhookHeaders = {
  signature: 'x-dmasim-signature',
  timestamp: 'x-dmasim-timestamp',
  event: 'x-dmasim-event',
  delivery: 'x-dmasim-delivery',
} as const;

/** `sha256=<hex HMAC-SHA256 of "timestamp.body" keyed by the webhook secret>`. */
export function signWebhookPayload(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Constant-time check of a received signature (what a receiver does). */
export function verifyWebhookSignature(secret: string, timestamp: string, body: string, signature: string): boolean {
  const expected = Buffer.from(signWebhookPayload(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
