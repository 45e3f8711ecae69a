import { Client } from 'pg';
import type { Logger } from './logger';

export interface NotificationListener {
  /** Calls `handler` with the payload of every notification on `channel` (one of the listened channels). */
  on(channel: string, handler: (payload: string) => void): () => void;
  /**
   * Calls `handler` each time the listener is listening, first and after every reconnection:
   * notifications sent while it was away are lost, so state kept on their strength must be refreshed.
   */
  onListening(handler: () => void): () => void;
  close(): Promise<void>;
}

export interface NotificationListenerOptions {
  readonly databaseUrl: string;
  /** The channels to LISTEN on (fixed for the listener's life: LISTEN is sent at every connection). */
  readonly channels: readonly string[];
  readonly logger: Logger;
  /** Wait before reconnecting after the connection was lost (default 1000 ms). */
  readonly reconnectDelayMs?: number;
}

/**
 * LISTENs on PostgreSQL channels over one dedicated connection (a pooled one would drop the
 * registration when released) and hands every payload to the channel's handlers. A NOTIFY sent
 * inside a transaction is delivered when it commits, so a listener hears of a write exactly when
 * readers can see it. The connection is re-opened after a loss; notifications sent while it was
 * down are lost, which callers must tolerate (they poll, or refresh in `onListening`).
 */
export function listenForNotifications(options: NotificationListenerOptions): NotificationListener {
  const reconnectDelayMs = options.reconnectDelayMs ?? 1000;
  const handlers = new Map<string, Set<(payload: string) => void>>(options.channels.map((c) => [c, new Set()]));
  const listeningHandlers = new Set<() => void>();
  let listening = false;
  let closed = false;
  let client: Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let lostLogged = false;

  const connect = async (): Promise<void> => {
    const next = new Client({ connectionString: options.databaseUrl });
    client = next;
    next.on('notification', (message) => {
      for (const handler of handlers.get(message.channel) ?? []) handler(message.payload ?? '');
    });
    next.on('error', () => reconnect(next));
    next.on('end', () => reconnect(next));
    try {
      await next.connect();
      // Channel names are identifiers: quoted, so any configured name is taken literally.
      await next.query(options.channels.map((c) => `LISTEN "${c.replaceAll('"', '""')}"`).join('; '));
      if (lostLogged) options.logger.info({ channels: options.channels }, 'listening for notifications again');
      lostLogged = false;
      listening = true;
      for (const handler of listeningHandlers) handler();
    } catch {
      reconnect(next);
    }
  };

  const reconnect = (from: Client): void => {
    if (closed || client !== from) return;
    client = undefined;
    listening = false;
    from.removeAllListeners('end');
    from.on('error', () => undefined);
    void from.end().catch(() => undefined);
    if (!lostLogged)
      options.logger.warn(
        { channels: options.channels },
        'notification connection lost; reconnecting (polling meanwhile)',
      );
    lostLogged = true;
    retry = setTimeout(() => void connect(), reconnectDelayMs);
  };

  void connect();
  return {
    on(channel, handler) {
      const forChannel = handlers.get(channel);
      if (!forChannel)
        throw new Error(`not listening on ${channel}; listened channels: ${options.channels.join(', ')}`);
      forChannel.add(handler);
      return () => forChannel.delete(handler);
    },
    onListening(handler) {
      listeningHandlers.add(handler);
      if (listening) handler();
      return () => listeningHandlers.delete(handler);
    },
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
