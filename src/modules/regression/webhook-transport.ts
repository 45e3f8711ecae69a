import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import type { WebhookTargetPolicy } from './webhook-policy';

/**
 * The coarse outcome of one delivery attempt. Nothing the receiver (or the network) said beyond
 * the HTTP status is kept, so the delivery log cannot be used to probe hosts and ports:
 * - `answered`: the receiver answered with this HTTP status (a redirect is not followed);
 * - `refused`: the URL or the address it resolved to is not allowed (webhook-policy.ts);
 * - `unreachable`: no HTTP answer (DNS failure, connection refused or reset, TLS error, timeout).
 */
export type DeliveryOutcome =
  | { readonly kind: 'answered'; readonly status: number }
  | { readonly kind: 'refused' }
  | { readonly kind: 'unreachable' };

/** Sends one signed webhook POST. */
export interface WebhookTransport {
  post(url: string, body: string, headers: Readonly<Record<string, string>>): Promise<DeliveryOutcome>;
}

/** Thrown by the connect-time lookup when every resolved address is refused. */
class RefusedAddressError extends Error {
  override readonly name = 'RefusedAddressError';
}

type Resolver = (hostname: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    ),
  );

/**
 * A DNS lookup for the HTTP agent that resolves the name, drops every address the policy refuses
 * and hands the socket only an allowed one: the address connected to is the address checked, so a
 * name that resolves (or re-resolves) to a private address is refused.
 */
export function checkedLookup(policy: WebhookTargetPolicy, resolver: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolver(hostname).then(
      (addresses) => {
        const allowed = addresses.filter((a) => policy.refusal(hostname, a.address) === undefined);
        const family = typeof options === 'object' && options !== null ? options.family : undefined;
        const wanted = family === 4 || family === 6 ? allowed.filter((a) => a.family === family) : allowed;
        if (wanted.length === 0) {
          callback(new RefusedAddressError(`${hostname} resolves only to refused addresses`), '', 4);
          return;
        }
        if (typeof options === 'object' && options !== null && options.all) callback(null, wanted);
        else callback(null, wanted[0]?.address ?? '', wanted[0]?.family ?? 4);
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), '', 4),
    );
  };
}

/**
 * The HTTP(S) transport of webhook deliveries: the URL is re-checked against the policy, DNS names
 * go through `checkedLookup`, redirects are never followed (node:http does not follow them), and
 * the answer's body is discarded unread.
 */
export function createWebhookTransport(
  policy: WebhookTargetPolicy,
  options: { timeoutMs: number; resolver?: Resolver },
): WebhookTransport {
  const lookup = checkedLookup(policy, options.resolver);
  return {
    post(raw, body, headers) {
      const checked = policy.check(raw);
      if (!checked.ok) return Promise.resolve({ kind: 'refused' });
      const { url } = checked;
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const requestOptions: RequestOptions = {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup,
        timeout: options.timeoutMs,
        // No keep-alive pool: every delivery resolves and checks its address afresh.
        agent: false,
      };
      return new Promise<DeliveryOutcome>((resolve) => {
        let settled = false;
        const settle = (outcome: DeliveryOutcome) => {
          if (settled) return;
          settled = true;
          clearTimeout(deadline);
          resolve(outcome);
        };
        const request = send(url, requestOptions, (response) => {
          response.resume();
          settle({ kind: 'answered', status: response.statusCode ?? 0 });
          request.destroy();
        });
        // The socket timeout covers idle sockets; this one bounds the whole attempt.
        const deadline = setTimeout(() => request.destroy(new Error('timeout')), options.timeoutMs);
        request.on('timeout', () => request.destroy(new Error('timeout')));
        request.on('error', (error) =>
          settle(error instanceof RefusedAddressError ? { kind: 'refused' } : { kind: 'unreachable' }),
        );
        request.end(body);
      });
    },
  };
}
