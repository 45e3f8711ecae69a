import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { RequestHandler } from 'express';
import { GraphQLError, type GraphQLSchema, type ParseOptions, type ValidationRule } from 'graphql';
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

/** What both transports (HTTP and graphql-ws) apply before executing an operation. */
export interface QueryProtection {
  /** graphql-js parse options: the token limit, enforced by the parser itself (a syntax error, HTTP 400). */
  readonly parseOptions: ParseOptions;
  /** The graphql-armor rules (depth, cost, aliases, directives), run beside the specified rules. */
  readonly validationRules: readonly ValidationRule[];
  /** Apollo plugins (field-suggestion masking outside development). */
  readonly plugins: readonly ApolloServerPlugin<GraphqlContext>[];
}

/**
 * One set of limits for every transport. The token limit is the parser's own `maxTokens` rather
 * than armor's token plugin: the plugin throws from Apollo's parsing hook, which Apollo answers
 * with HTTP 500 (for token overruns and for every plain syntax error it re-parses), while a parser
 * refusal is an ordinary GRAPHQL_PARSE_FAILED (HTTP 400).
 */
export function createQueryProtection(options: { limits?: QueryLimits; development: boolean }): QueryProtection {
  const limits = options.limits ?? queryLimits;
  const armor = new ApolloArmor({
    maxDepth: { n: limits.maxDepth },
    costLimit: { maxCost: limits.maxCost },
    maxAliases: { n: limits.maxAliases },
    maxTokens: { enabled: false },
    maxDirectives: { n: limits.maxDirectives },
    blockFieldSuggestion: { enabled: !options.development },
  });
  const protection = armor.protect();
  return {
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: protection.validationRules,
    plugins: protection.plugins,
  };
}

export function createApolloServer(options: {
  schema: GraphQLSchema;
  logger: Logger;
  development: boolean;
  limits?: QueryLimits;
}): ApolloServer<GraphqlContext> {
  const formatError = createFormatError(options.logger);
  const protection = createQueryProtection(options);
  return new ApolloServer<GraphqlContext>({
    schema: options.schema,
    allowBatchedHttpRequests: false,
    parseOptions: protection.parseOptions,
    // No schema uses cache hints; the cache-control plugin would otherwise wrap every field resolver.
    plugins: [...protection.plugins, ApolloServerPluginCacheControlDisabled(), rateLimitPlugin(formatError)],
    validationRules: [...protection.validationRules],
    // Compact JSON: Apollo pretty-prints by default, which costs as much as executing a dashboard query.
    stringifyResult: (result) => JSON.stringify(result),
    formatError,
    includeStacktraceInErrorResponses: options.development,
    introspection: true,
  });
}

/** The GraphQL error for an AppError raised before execution (authentication, rate limit), with its HTTP status and Retry-After. */
export function contextError(error: AppError): GraphQLError {
  const retryAfterSeconds = error.details?.['retryAfterSeconds'];
  const headers =
    typeof retryAfterSeconds === 'number' ? new Map([['retry-after', String(retryAfterSeconds)]]) : undefined;
  return new GraphQLError(error.message, {
    extensions: {
      code: graphqlCodeFor[error.code],
      http: { status: httpStatusFor[error.code], ...(headers ? { headers } : {}) },
      ...(error.details ? { details: error.details } : {}),
    },
  });
}

/**
 * Where an HTTP request's context carries its rate-limit decision, started when the context is
 * built and awaited by `rateLimitPlugin`, so the limiter's Redis round trip overlaps the request's
 * own work. A property rather than a WeakMap entry: Apollo hands the hooks a shallow copy of the
 * context object.
 */
const admissionKey = Symbol('rate-limit admission');
type AdmittedContext = GraphqlContext & { [admissionKey]?: Promise<void> };

/**
 * Applies the rate-limit decision started for the request (graphqlMiddleware). A mutation waits for
 * it before executing, so a refused mutation changes nothing. A query executes meanwhile (reads
 * only) and its answer is replaced by the refusal if one comes: one round trip less on the path of
 * every query. Either way a refused request answers RATE_LIMITED with HTTP 429 and Retry-After, as
 * if it had been refused before parsing, and every request counts against the budget.
 */
function rateLimitPlugin(formatError: ReturnType<typeof createFormatError>): ApolloServerPlugin<GraphqlContext> {
  const refusal = async (context: GraphqlContext): Promise<GraphQLError | undefined> => {
    try {
      await (context as AdmittedContext)[admissionKey];
      return undefined;
    } catch (error: unknown) {
      if (!(error instanceof AppError)) throw error;
      return contextError(error);
    }
  };
  return {
    requestDidStart() {
      return Promise.resolve({
        async didResolveOperation({ contextValue, operation }) {
          if (operation?.operation === 'query') return;
          const refused = await refusal(contextValue);
          if (refused) throw refused;
        },
        async willSendResponse({ contextValue, operation, response }) {
          if (operation && operation.operation !== 'query') return; // decided before execution
          const refused = await refusal(contextValue);
          if (!refused || response.body.kind !== 'single') return;
          const http = refused.extensions['http'] as { status: number; headers?: Map<string, string> };
          response.body.singleResult = { errors: [formatError(refused.toJSON(), refused)] };
          response.http.status = http.status;
          for (const [name, value] of http.headers ?? []) response.http.headers.set(name, value);
        },
      });
    },
  };
}

/**
 * Express middleware for /graphql: authenticates, then executes; the per-token rate limit is
 * decided alongside (rateLimitPlugin).
 */
export function graphqlMiddleware(
  server: ApolloServer<GraphqlContext>,
  services: Services,
  rateLimiter: RateLimiter,
): RequestHandler {
  let nextRequestId = 0;
  return expressMiddleware(server, {
    context: async ({ req }) => {
      let context: GraphqlContext;
      try {
        context = await createContext(services, req.headers.authorization, `${process.pid}-${++nextRequestId}`);
      } catch (error: unknown) {
        if (!(error instanceof AppError)) throw error;
        throw contextError(error);
      }
      const admission = rateLimiter.consume(`token:${context.viewer.tokenId}`);
      admission.catch(() => undefined); // awaited by the plugin; a refusal must not go unhandled meanwhile
      return { ...context, [admissionKey]: admission } satisfies AdmittedContext;
    },
  });
}
