import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { type ApiHarness, startApiHarness } from '../../support/api-harness';
import { submitRun } from '../workers/pipeline-support';

// Issue #20 item 7: graphql-ws on /graphql applies the same limits as HTTP (token, depth, alias,
// cost rules; the per-token rate limit; a message size limit) and runs only subscriptions.
const rateLimitPerMinute = 30;
const bodyLimitBytes = 64 * 1024;

interface Outcome {
  data?: unknown;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
  closeCode?: number;
}

describe('graphql-ws limits', () => {
  let harness: ApiHarness;
  const clients: Client[] = [];

  beforeAll(async () => {
    harness = await startApiHarness({
      RATE_LIMIT_PER_MINUTE: String(rateLimitPerMinute),
      REQUEST_BODY_LIMIT_BYTES: String(bodyLimitBytes),
    });
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await harness.stop();
  });

  const wsUrl = () => `${harness.api.url.replace('http', 'ws')}/graphql`;

  function wsClient(token: string): Client {
    const client = createClient({
      url: wsUrl(),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      lazy: true,
    });
    clients.push(client);
    return client;
  }

  /** The first thing the server answers an operation with: a payload, its errors, or a closed socket. */
  function firstOutcome(client: Client, query: string, variables: Record<string, unknown> = {}): Promise<Outcome> {
    return new Promise((resolve) => {
      const unsubscribe = client.subscribe(
        { query, variables },
        {
          next: (message) => {
            unsubscribe();
            resolve({
              data: message.data,
              ...(message.errors ? { errors: [...message.errors] as Outcome['errors'] } : {}),
            });
          },
          error: (error: unknown) =>
            Array.isArray(error)
              ? resolve({ errors: error as Outcome['errors'] })
              : resolve({ closeCode: (error as { code?: number }).code }),
          complete: () => resolve({}),
        },
      );
    });
  }

  it('still streams a subscription within the limits', async () => {
    const { token } = await harness.newTeam();
    const runId = await submitRun(harness, token, { operations: 1000 });

    const outcome = await firstOutcome(
      wsClient(token),
      'subscription($id: UUID!) { runUpdated(runId: $id) { id status } }',
      {
        id: runId,
      },
    );

    expect(outcome).toEqual({ data: { runUpdated: { id: runId, status: 'QUEUED' } } });
    // The same document again (validated once, then kept): same answer, and still team-scoped.
    const again = await firstOutcome(
      wsClient(token),
      'subscription($id: UUID!) { runUpdated(runId: $id) { id status } }',
      { id: runId },
    );
    const otherTeam = await firstOutcome(
      wsClient((await harness.newTeam()).token),
      'subscription($id: UUID!) { runUpdated(runId: $id) { id status } }',
      { id: runId },
    );
    expect(again).toEqual(outcome);
    expect(otherTeam.errors?.[0]).toMatchObject({ extensions: { code: 'NOT_FOUND' } });
  });

  it('refuses a query and a mutation over WebSocket and runs neither', async () => {
    const { token } = await harness.newTeam();
    const client = wsClient(token);

    const query = await firstOutcome(client, '{ viewer { role } }');
    const mutation = await firstOutcome(
      client,
      'mutation { createApiToken(input: { name: "over-ws", role: ADMIN }) { __typename } }',
    );
    const tokens = await harness.gql<{ apiTokens: Array<{ name: string }> }>(token, '{ apiTokens { name } }');

    expect(query.data).toBeUndefined();
    expect(query.errors?.[0]?.message).toMatch(/only subscriptions/);
    expect(mutation.data).toBeUndefined();
    expect(mutation.errors?.[0]?.message).toMatch(/only subscriptions/);
    expect(tokens.data.apiTokens.map((t) => t.name)).not.toContain('over-ws');
  });

  it('refuses 1000 aliases (token limit) and 30 aliases (alias limit)', async () => {
    const { token } = await harness.newTeam();
    const client = wsClient(token);
    const runId = '6f1c2d9e-8a51-4f0e-9b0a-2f3b1c4d5e6f';
    const aliases = Array.from({ length: 1000 }, (_, i) => `a${i}: runUpdated(runId: $id) { id }`).join(' ');

    const thousand = await firstOutcome(client, `subscription($id: UUID!) { ${aliases} }`, { id: runId });
    const thirty = await firstOutcome(
      client,
      `subscription { runUpdated(runId: "6f1c2d9e-8a51-4f0e-9b0a-2f3b1c4d5e6f") { ${Array.from({ length: 30 }, (_, i) => `a${i}: id`).join(' ')} } }`,
    );

    expect(thousand.data).toBeUndefined();
    expect(thousand.errors?.[0]).toMatchObject({ extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
    expect(thousand.errors?.[0]?.message).toMatch(/tokens/);
    expect(thirty.data).toBeUndefined();
    expect(thirty.errors?.map((error) => error.message).join(' ')).toMatch(/alias/i);
    // A refused document is never kept as valid: sent again, it is refused again.
    const thirtyAgain = await firstOutcome(
      client,
      `subscription { runUpdated(runId: "6f1c2d9e-8a51-4f0e-9b0a-2f3b1c4d5e6f") { ${Array.from({ length: 30 }, (_, i) => `a${i}: id`).join(' ')} } }`,
    );
    expect(thirtyAgain.errors?.map((error) => error.message).join(' ')).toMatch(/alias/i);
  });

  it('refuses an operation 51 levels deep by the depth rule', async () => {
    const { token } = await harness.newTeam();
    const deep = `{ __type(name: "Run") { ${'ofType { '.repeat(49)}name${' }'.repeat(49)} } }`;

    const outcome = await firstOutcome(wsClient(token), deep);

    expect(outcome.data).toBeUndefined();
    expect(outcome.errors?.map((error) => error.message).join(' ')).toMatch(/depth/i);
  });

  it('closes the socket on a 5 MB message (1009) without reading it', async () => {
    const { token } = await harness.newTeam();
    const socket = new WebSocket(wsUrl(), 'graphql-transport-ws');
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    await new Promise<void>((resolve) => socket.once('message', () => resolve())); // connection_ack

    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(
      JSON.stringify({
        id: '1',
        type: 'subscribe',
        payload: { query: `subscription { __typename } # ${'x'.repeat(5 * 1024 * 1024)}` },
      }),
    );

    expect(await closed).toBe(1009);
  });

  it('counts subscribe messages against the token rate limit', async () => {
    const { token } = await harness.newTeam();
    const client = wsClient(token);

    const codes: Array<string | undefined> = [];
    for (let i = 0; i < rateLimitPerMinute + 2; i++) {
      const outcome = await firstOutcome(
        client,
        'subscription { runUpdated(runId: "6f1c2d9e-8a51-4f0e-9b0a-2f3b1c4d5e6f") { id } }',
      );
      codes.push(outcome.errors?.[0]?.extensions?.code);
    }

    expect(codes.slice(0, rateLimitPerMinute)).toEqual(Array(rateLimitPerMinute).fill('NOT_FOUND'));
    expect(codes.slice(rateLimitPerMinute)).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
    expect((await harness.gql(token, '{ viewer { role } }')).errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  });
});
