import type { Server } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Logger } from '../platform/logger';
import type { GraphqlContext } from './context';
import { createFormatError } from './errors';
import type { Services } from './services';
import type { Viewer } from '../modules/team/team.types';

export interface SubscriptionServer {
  close(): Promise<void>;
}

/** The bearer token from graphql-ws connection params: `{ authorization: "Bearer …" }` (or `Authorization`, or `token`). */
export function authorizationFromParams(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const value = params?.['authorization'] ?? params?.['Authorization'];
  if (typeof value === 'string') return value;
  const token = params?.['token'];
  return typeof token === 'string' ? `Bearer ${token}` : undefined;
}

/**
 * GraphQL subscriptions over graphql-ws on the same path as HTTP (`/graphql`). A connection is
 * authenticated once, from its connection params, with the same API tokens as HTTP; a bad token
 * closes it with 4403. Operations run against the same schema and services, so team scoping and
 * error codes (NOT_FOUND for another team's ids) are the same as over HTTP.
 */
export function attachSubscriptions(options: {
  server: Server;
  schema: GraphQLSchema;
  services: Services;
  logger: Logger;
  path?: string;
}): SubscriptionServer {
  const wss = new WebSocketServer({ server: options.server, path: options.path ?? '/graphql' });
  const viewers = new WeakMap<object, Viewer>();
  const formatError = createFormatError(options.logger);
  let nextRequestId = 0;
  const cleanup = useServer<Record<string, unknown> | undefined>(
    {
      schema: options.schema,
      onConnect: async (ctx) => {
        try {
          viewers.set(ctx, await options.services.teams.authenticate(authorizationFromParams(ctx.connectionParams)));
          return true;
        } catch {
          return false; // graphql-ws closes the socket with 4403 Forbidden; the reason is not echoed to the client
        }
      },
      context: (ctx): GraphqlContext => {
        const viewer = viewers.get(ctx);
        // onConnect refused every connection without a viewer, so this cannot happen for a subscribe.
        if (!viewer) throw new Error('subscription without an authenticated viewer');
        return { viewer, services: options.services, requestId: `ws-${process.pid}-${++nextRequestId}` };
      },
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors
          ? { ...result, errors: result.errors.map((error) => formatError(error.toJSON(), error)) }
          : undefined,
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => formatError(error.toJSON(), error)),
    },
    wss,
  );
  return {
    async close() {
      await cleanup.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
