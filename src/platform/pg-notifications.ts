import { Client } from 'pg';
import type { Logger } from './logger';

export interface NotificationListener {
  close(): Promise<void>;
}

export interface NotificationListenerOptions {
  readonly databaseUrl: string;
  readonly channel: string;
  readonly onPayload: (payload: string) => void;
  readonly logger: Logger;
  /** Wait before reconnecting after the connection was lost (default 1000 ms). */
  readonly reconnectDelayMs?: number;
}

/**
 * LISTENs on one PostgreSQL channel over a dedicated connection (a pooled one would drop the
 * registration when released) and hands every payload to `onPayload`. A NOTIFY sent inside a
 * transaction is delivered when it commits, so a listener hears of a write exactly when readers
 * can see it. The connection is re-opened after a loss; notifications sent while it was down are
 * lost, which callers must tolerate (they poll as well).
 */
export function listenForNotifications(options: NotificationListenerOptions): NotificationListener {
  const reconnectDelayMs = options.reconnectDelayMs ?? 1000;
  let closed = false;
  let client: Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let lostLogged = false;

  const connect = async (): Promise<void> => {
    const next = new Client({ connectionString: options.databaseUrl });
    client = next;
    next.on('notification', (message) => {
      if (message.channel === options.channel) options.onPayload(message.payload ?? '');
    });
    next.on('error', () => reconnect(next));
    next.on('end', () => reconnect(next));
    try {
      await next.connect();
      // Channel names are identifiers: quoted, so any configured name is taken literally.
      await next.query(`LISTEN "${options.channel.replaceAll('"', '""')}"`);
      if (lostLogged) options.logger.info({ channel: options.channel }, 'listening for notifications again');
      lostLogged = false;
    } catch {
      reconnect(next);
    }
  };

  const reconnect = (from: Client): void => {
    if (closed || client !== from) return;
    client = undefined;
    from.removeAllListeners('end');
    from.on('error', () => undefined);
    void from.end().catch(() => undefined);
    if (!lostLogged)
      options.logger.warn(
        { channel: options.channel },
        'notification connection lost; reconnecting (polling meanwhile)',
      );
    lostLogged = true;
    retry = setTimeout(() => void connect(), reconnectDelayMs);
  };

  void connect();
  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      const current = client;
      client = undefined;
      if (current) {
        current.removeAllListeners('end');
        current.on('error', () => undefined);
        await current.end().catch(() => undefined);
      }
    },
  };
}
