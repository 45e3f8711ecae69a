import type { Server } from 'node:http';
import {
  type DocumentNode,
  getOperationAST,
  GraphQLError,
  type GraphQLSchema,
  OperationTypeNode,
  parse,
  specifiedRules,
  validate,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { AppError } from '../platform/app-error';
import type { Logger } from '../platform/logger';
import type { GraphqlContext } from './context';
import { createFormatError, toGraphQLError } from './errors';
import type { QueryProtection } from './graphql';
import type { RateLimiter } from './rate-limit';
import type { Services } from './services';
import type { Viewer } from '../modules/team/team.types';

/** Valid subscription documents kept by their text, at most this many (cleared when full). */
const validDocumentCacheEntries = 500;

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
 *
 * The same limits as HTTP hold here: a WebSocket message larger than `maxPayloadBytes` closes the
 * socket (1009); every subscribe message is parsed with the token limit, validated with the same
 * depth, cost, alias and directive rules, and counted against the token's rate limit. Only
 * subscriptions run over WebSocket; queries and mutations are refused there (use HTTP POST).
 */
export function attachSubscriptions(options: {
  server: Server;
  schema: GraphQLSchema;
  services: Services;
  logger: Logger;
  protection: QueryProtection;
  rateLimiter: RateLimiter;
  maxPayloadBytes: number;
  path?: string;
}): SubscriptionServer {
  const wss = new WebSocketServer({
    server: options.server,
    path: options.path ?? '/graphql',
    maxPayload: options.maxPayloadBytes,
  });
  const viewers = new WeakMap<object, Viewer>();
  const formatError = createFormatError(options.logger);
  const rules = [...specifiedRules, ...options.protection.validationRules];
  // Documents that parsed and validated, by their text: a client subscribes with the same few
  // documents again and again (a run page, a CI wait), and validation with the limit rules costs
  // more than the subscription's first read. The schema and rules are fixed for the server's life.
  const validDocuments = new Map<string, DocumentNode>();
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
      onSubscribe: async (ctx, _id, payload) => {
        const viewer = viewers.get(ctx);
        // onConnect refused every connection without a viewer, so this cannot happen for a subscribe.
        if (!viewer) throw new Error('subscription without an authenticated viewer');
        try {
          await options.rateLimiter.consume(`token:${viewer.tokenId}`);
        } catch (error: unknown) {
          if (error instanceof AppError) return [toGraphQLError(error)];
          throw error;
        }
        let document = validDocuments.get(payload.query);
        if (!document) {
          try {
            document = parse(payload.query, options.protection.parseOptions);
          } catch (error: unknown) {
            if (!(error instanceof GraphQLError)) throw error;
            return [new GraphQLError(error.message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
          }
          const validationErrors = validate(options.schema, document, rules);
          if (validationErrors.length > 0)
            return validationErrors.map(
              (error) =>
                new GraphQLError(error.message, {
                  nodes: error.nodes,
                  extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
                }),
            );
          if (validDocuments.size >= validDocumentCacheEntries) validDocuments.clear();
          validDocuments.set(payload.query, document);
        }
        const operation = getOperationAST(document, payload.operationName);
        if (operation?.operation !== OperationTypeNode.SUBSCRIPTION)
          return [
            new GraphQLError(
              'only subscriptions run over WebSocket; send queries and mutations as HTTP POST to /graphql',
              { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } },
            ),
          ];
        return {
          schema: options.schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
        };
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
