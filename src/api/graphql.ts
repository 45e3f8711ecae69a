import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { RequestHandler } from 'express';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { AppError } from '../platform/app-error';
import type { Logger } from '../platform/logger';
import { createContext, type GraphqlContext } from './context';
import { graphqlCodeFor, createFormatError } from './errors';
import { httpStatusFor } from './http-status';
import type { RateLimiter } from './rate-limit';
import type { Services } from './services';

/** Query limits: deep, expensive or alias-heavy queries are refused before execution. */
export const queryLimits = { maxDepth: 10, maxCost: 5000, maxAliases: 15, maxTokens: 2000, maxDirectives: 20 };
export type QueryLimits = typeof queryLimits;

export function createApolloServer(options: {
  schema: GraphQLSchema;
  logger: Logger;
  development: boolean;
  limits?: QueryLimits;
}): ApolloServer<GraphqlContext> {
  const limits = options.limits ?? queryLimits;
  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxDepth },
    costLimit: { maxCost: limits.maxCost },
    maxAliases: { n: limits.maxAliases },
    maxTokens: { n: limits.maxTokens },
    maxDirectives: { n: limits.maxDirectives },
    blockFieldSuggestion: { enabled: !options.development },
  });
  const protection = armor.protect();
  return new ApolloServer<GraphqlContext>({
    schema: options.schema,
    ...protection,
    plugins: [...protection.plugins],
    validationRules: [...protection.validationRules],
    formatError: createFormatError(options.logger),
    includeStacktraceInErrorResponses: options.development,
    introspection: true,
  });
}

/** Express middleware for /graphql: authenticates, rate-limits per token, then executes. */
export function graphqlMiddleware(
  server: ApolloServer<GraphqlContext>,
  services: Services,
  rateLimiter: RateLimiter,
): RequestHandler {
  let nextRequestId = 0;
  return expressMiddleware(server, {
    context: async ({ req }) => {
      try {
        const context = await createContext(services, req.headers.authorization, `${process.pid}-${++nextRequestId}`);
        await rateLimiter.consume(`token:${context.viewer.tokenId}`);
        return context;
      } catch (error: unknown) {
        if (!(error instanceof AppError)) throw error;
        throw new GraphQLError(error.message, {
          extensions: {
            code: graphqlCodeFor[error.code],
            http: { status: httpStatusFor[error.code] },
            ...(error.details ? { details: error.details } : {}),
          },
        });
      }
    },
  });
}
