import { Client, fetchExchange, subscriptionExchange, type Exchange } from '@urql/core';
import { createClient as createWsClient } from 'graphql-ws';

/**
 * Live run updates through the `runUpdated(runId)` subscription (graphql-ws on /graphql, the same
 * bearer token in the connection params). The run page still polls, slowly, as a fallback.
 */
export const runSubscriptionsEnabled = true;

/** How often the run and batch pages poll while something is still QUEUED or RUNNING. */
export const pollIntervalMs = 1000;

/** Where the API lives: the page's own origin (the API process serves the dashboard). */
function graphqlUrl(): string {
  return `${window.location.origin}/graphql`;
}

/**
 * A urql client that sends the bearer token on every request. Queries go out as POST (Apollo's
 * CSRF prevention rejects plain GETs), and nothing is cached across token switches because each
 * token gets its own client.
 */
export function createApiClient(token: string): Client {
  const exchanges: Exchange[] = [fetchExchange];
  if (runSubscriptionsEnabled) {
    const ws = createWsClient({
      url: graphqlUrl().replace(/^http/, 'ws'),
      connectionParams: { authorization: `Bearer ${token}` },
      lazy: true,
    });
    exchanges.push(
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    );
  }
  return new Client({
    url: graphqlUrl(),
    exchanges,
    preferGetMethod: false,
    requestPolicy: 'cache-and-network',
    fetchOptions: () => ({ headers: { authorization: `Bearer ${token}` } }),
  });
}

/** The fields the run page takes from `runUpdated`. */
export interface RunUpdate {
  readonly id: string;
  readonly status: string;
  readonly progress: number;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  readonly resultHash: string | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

export const runUpdatedSubscription = /* GraphQL */ `
  subscription RunUpdated($runId: UUID!) {
    runUpdated(runId: $runId) {
      id
      status
      progress
      errorCode
      errorMessage
      resultHash
      startedAt
      finishedAt
    }
  }
`;

/** Checks a token by asking who it belongs to; resolves to the viewer or an error message. */
export async function fetchViewer(
  token: string,
): Promise<{ teamId: string; teamName: string; role: string } | { error: string }> {
  try {
    const response = await fetch(graphqlUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ viewer { role team { id name } } }' }),
    });
    const body = (await response.json()) as {
      data?: { viewer?: { role: string; team: { id: string; name: string } } };
      errors?: Array<{ message: string; extensions?: { code?: string } }>;
    };
    const viewer = body.data?.viewer;
    if (viewer) return { teamId: viewer.team.id, teamName: viewer.team.name, role: viewer.role };
    const first = body.errors?.[0];
    if (first?.extensions?.code === 'UNAUTHENTICATED')
      return { error: 'That token was not accepted (unknown or revoked).' };
    return { error: first?.message ?? `The server answered ${response.status}.` };
  } catch (error: unknown) {
    return { error: `Could not reach the server: ${error instanceof Error ? error.message : String(error)}` };
  }
}
