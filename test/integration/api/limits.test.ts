import pino from 'pino';
import { createApolloServer, queryLimits } from '../../../src/api/graphql';
import { createSchema } from '../../../src/api/schema';
import { type ApiHarness, startApiHarness } from '../../support/api-harness';

describe('request limits', () => {
  let harness: ApiHarness;

  beforeAll(async () => {
    harness = await startApiHarness({ RATE_LIMIT_PER_MINUTE: '40', REQUEST_BODY_LIMIT_BYTES: '20000' });
  });

  afterAll(async () => {
    await harness.stop();
  });

  it('refuses a query nested deeper than the depth limit before executing it', async () => {
    // The schema has no cycles, so the production limit (10) cannot be reached by a valid query;
    // a server built by the same factory with a limit of 4 proves the rule is wired in.
    const strict = createApolloServer({
      schema: createSchema(),
      logger: pino({ level: 'silent' }),
      development: false,
      limits: { ...queryLimits, maxDepth: 4 },
    });
    await strict.start();

    const response = await strict.executeOperation({
      query: '{ runs { edges { node { scenario { latestVersion { id } } } } } }',
    });
    await strict.stop();

    expect(response.body.kind).toBe('single');
    const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
    expect(errors?.[0]?.message).toMatch(/depth/i);
  });

  it('refuses a query with too many aliases', async () => {
    const { token } = await harness.newTeam();
    const aliases = Array.from({ length: 30 }, (_, i) => `v${i}: viewer { role }`).join(' ');

    const response = await harness.gql(token, `{ ${aliases} }`);

    expect(response.errors?.[0]?.message).toMatch(/alias/i);
  });

  it('refuses a body over REQUEST_BODY_LIMIT_BYTES with 413', async () => {
    const { token } = await harness.newTeam();

    const response = await fetch(`${harness.api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: `{ viewer { role } } # ${'x'.repeat(30000)}` }),
    });

    expect(response.status).toBe(413);
  });

  it('rate-limits a token after RATE_LIMIT_PER_MINUTE requests, without affecting other tokens', async () => {
    const busy = await harness.newTeam();
    const other = await harness.newTeam();

    const statuses: Array<string | undefined> = [];
    for (let i = 0; i < 45; i++)
      statuses.push((await harness.gql(busy.token, '{ viewer { role } }')).errors?.[0]?.extensions?.code);
    const otherResponse = await harness.gql(other.token, '{ viewer { role } }');

    expect(statuses.filter((code) => code === undefined)).toHaveLength(40);
    expect(statuses.slice(40).every((code) => code === 'RATE_LIMITED')).toBe(true);
    expect(otherResponse.errors).toBeUndefined();
  });

  it('refuses a mutation over the limit before it executes, and a query over the limit after (same answer)', async () => {
    const busy = await harness.newTeam();
    for (let i = 0; i < 40; i++) await harness.gql(busy.token, '{ viewer { role } }');

    const post = (query: string) =>
      fetch(`${harness.api.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${busy.token}` },
        body: JSON.stringify({ query }),
      });
    const mutation = await post(
      'mutation { createApiToken(input: { name: "over the limit", role: VIEWER }) { __typename } }',
    );
    const query = await post('{ viewer { role } }');
    const unparsable = await post('{ viewer { role }');
    const tokens = await harness.api.services.teams.listTokens({ teamId: busy.teamId, tokenId: '', role: 'admin' });

    for (const response of [mutation, query, unparsable]) {
      expect(response.status).toBe(429);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const body = (await response.json()) as { data?: unknown; errors: Array<{ extensions: { code: string } }> };
      expect(body.errors.map((e) => e.extensions.code)).toEqual(['RATE_LIMITED']);
      expect(body.data).toBeUndefined(); // the query's own answer is not sent
    }
    expect(tokens.map((t) => t.name)).toEqual(['first admin token']); // the refused mutation created none
  });

  it('never returns a stack trace in production mode', async () => {
    const { token } = await harness.newTeam();

    const badVariable = await harness.gql(token, 'query($id: UUID!) { run(id: $id) { id } }', { id: 'not-a-uuid' });
    const badLiteral = await harness.gql(token, '{ run(id: "not-a-uuid") { id } }');

    expect(badVariable.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(badLiteral.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(JSON.stringify(badVariable)).not.toMatch(/stacktrace|\.ts:\d+/);
    expect(JSON.stringify(badLiteral)).not.toMatch(/stacktrace|\.ts:\d+/);
  });
});
