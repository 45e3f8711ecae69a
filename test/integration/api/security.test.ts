import { randomBytes } from 'node:crypto';
import { type ApiHarness, startApiHarness } from '../../support/api-harness';
import { createScenario, exampleSpec } from '../workers/pipeline-support';

// Issue #20 security items 8, 11, 13 and 14 over real HTTP, PostgreSQL and Redis: the operator
// credential for bull-board, spec nesting, NUL bytes and lone surrogates, ids and cursors that are
// not ours, parse failures as 400, the export routes' rate limit with Retry-After, LIKE wildcards.
const operatorToken = `op_${randomBytes(24).toString('hex')}`;
const rateLimitPerMinute = 40;

describe('security hardening (HTTP)', () => {
  let harness: ApiHarness;

  beforeAll(async () => {
    harness = await startApiHarness({
      OPERATOR_TOKEN: operatorToken,
      RATE_LIMIT_PER_MINUTE: String(rateLimitPerMinute),
    });
  });

  afterAll(async () => {
    await harness.stop();
  });

  const post = (token: string | undefined, body: string) =>
    fetch(`${harness.api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });

  describe('the queue dashboard (/admin/queues) needs the operator credential', () => {
    it('refuses no credential with 401 and a Basic challenge', async () => {
      const response = await fetch(`${harness.api.url}/admin/queues`);

      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('Basic');
    });

    it("refuses a team admin's token, by Bearer or Basic, for the page and for bull-board's API", async () => {
      const { token } = await harness.newTeam('admin');
      const basic = Buffer.from(`admin:${token}`).toString('base64');

      const page = await fetch(`${harness.api.url}/admin/queues`, { headers: { authorization: `Bearer ${token}` } });
      const pause = await fetch(`${harness.api.url}/admin/queues/api/queues/runs/pause`, {
        method: 'PUT',
        headers: { authorization: `Basic ${basic}` },
      });
      const jobs = await fetch(`${harness.api.url}/admin/queues/api/queues?activeQueue=runs&status=latest&page=1`, {
        headers: { authorization: `Bearer ${token}` },
      });

      expect([page.status, pause.status, jobs.status]).toEqual([401, 401, 401]);
      expect(await harness.api.services.teams.authenticate(`Bearer ${token}`)).toMatchObject({ role: 'admin' });
    });

    it('serves the page and its API to the operator credential, by Bearer or Basic', async () => {
      const basic = Buffer.from(`operator:${operatorToken}`).toString('base64');

      const page = await fetch(`${harness.api.url}/admin/queues`, {
        headers: { authorization: `Bearer ${operatorToken}` },
      });
      const api = await fetch(`${harness.api.url}/admin/queues/api/queues?activeQueue=runs&status=latest&page=1`, {
        headers: { authorization: `Basic ${basic}` },
      });
      const body = (await api.json()) as { queues: Array<{ name: string }> };

      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<html');
      expect(api.status).toBe(200);
      expect(body.queues.map((queue) => queue.name)).toContain('runs');
    });

    it('is not mounted at all without OPERATOR_TOKEN', async () => {
      const plain = await startApiHarness();
      try {
        const { token } = await plain.newTeam('admin');
        const response = await fetch(`${plain.api.url}/admin/queues`, {
          headers: { authorization: `Bearer ${token}` },
        });

        expect(response.status).toBe(404);
      } finally {
        await plain.stop();
      }
    });
  });

  describe('spec nesting (validateSpec, createScenario)', () => {
    it('answers 0.2-1 MB of nested brackets with a clear input error, not a stack overflow', async () => {
      const { token } = await harness.newTeam();
      const deep = `{"apiVersion": ${'['.repeat(200_000)}`;
      const deepYaml = `name: x\nvm: ${'['.repeat(900_000)}`;

      const validated = await harness.gql<{ validateSpec: { valid: boolean; errors: Array<{ message: string }> } }>(
        token,
        'query($spec: String!) { validateSpec(spec: $spec) { valid errors { message } } }',
        { spec: deep },
      );
      const created = await harness.gql<{
        createScenario: { __typename: string; userErrors?: Array<{ path: string[]; message: string; code: string }> };
      }>(
        token,
        'mutation($spec: String!) { createScenario(input: { spec: $spec }) { __typename ... on InputRejected { userErrors { path message code } } } }',
        { spec: deepYaml },
      );

      expect(validated.status).toBe(200);
      expect(validated.data.validateSpec.valid).toBe(false);
      expect(validated.data.validateSpec.errors[0]?.message).toMatch(/nests deeper than 64 levels/);
      expect(created.data.createScenario.__typename).toBe('InputRejected');
      expect(created.data.createScenario.userErrors?.[0]?.message).toMatch(/nests deeper than 64 levels/);
      expect(JSON.stringify([validated, created])).not.toMatch(/call stack/i);
    });
  });

  describe('NUL bytes and lone surrogates', () => {
    const bad: Array<[string, string]> = [
      ['NUL', 'x\u0000y'],
      ['lone high surrogate', 'x\uD800y'],
      ['lone low surrogate', 'x\uDC00'],
    ];

    it.each(bad)('rejects a %s in mutation inputs as InputRejected with the field path', async (_name, text) => {
      const { token } = await harness.newTeam();
      const mutations: Array<[string, Record<string, unknown>, string, string[]]> = [
        [
          'mutation($v: String!) { createApiToken(input: { name: $v, role: MEMBER }) { __typename ... on InputRejected { userErrors { path code message } } } }',
          { v: text },
          'createApiToken',
          ['input', 'name'],
        ],
        [
          'mutation($v: String!) { createScenario(input: { spec: $v }) { __typename ... on InputRejected { userErrors { path code message } } } }',
          {
            v: exampleSpec('s04-hyperv-snp-confidential-storvsc.yaml', 100).replace(/^name: .*$/m, `name: "n${text}"`),
          },
          'createScenario',
          ['input', 'spec'],
        ],
        [
          'mutation($v: String!) { waiveViolation(input: { fingerprint: "fp", reason: $v }) { __typename ... on InputRejected { userErrors { path code message } } } }',
          { v: text },
          'waiveViolation',
          ['input', 'reason'],
        ],
        [
          'mutation($v: String!) { acknowledgeViolation(fingerprint: $v) { __typename ... on InputRejected { userErrors { path code message } } } }',
          { v: text },
          'acknowledgeViolation',
          ['fingerprint'],
        ],
      ];

      for (const [query, variables, field, path] of mutations) {
        const response = await harness.gql<Record<string, { __typename: string; userErrors?: unknown[] }>>(
          token,
          query,
          variables,
        );

        expect([field, response.status, response.errors]).toEqual([field, 200, undefined]);
        expect([field, response.data[field]?.__typename]).toEqual([field, 'InputRejected']);
        expect(response.data[field]?.userErrors?.[0]).toMatchObject({ path, code: 'INVALID_TEXT' });
      }
    });

    it.each(bad)(
      'refuses a %s in query filters with BAD_USER_INPUT naming the path, never a 500',
      async (_name, text) => {
        const { token } = await harness.newTeam();
        const queries: Array<[string, string[]]> = [
          ['query($v: String!) { scenarios(filter: { nameContains: $v }) { totalCount } }', ['filter', 'nameContains']],
          ['query($v: String!) { scenarios(filter: { tags: ["a", $v] }) { totalCount } }', ['filter', 'tags', '1']],
          ['query($v: String!) { runs(after: $v) { totalCount } }', ['after']],
          ['query($v: String!) { validateSpec(spec: $v) { valid } }', ['spec']],
        ];

        for (const [query, path] of queries) {
          const response = await harness.gql(token, query, { v: text });

          expect([query, response.status]).toEqual([query, 200]);
          expect(response.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', details: { path } });
        }
      },
    );

    it('still stores text with paired surrogates (emoji)', async () => {
      const { token } = await harness.newTeam();

      const response = await harness.gql<{ createApiToken: { __typename: string } }>(
        token,
        'mutation($v: String!) { createApiToken(input: { name: $v, role: MEMBER }) { __typename } }',
        { v: 'ci \uD83D\uDE80' },
      );

      expect(response.data.createApiToken.__typename).toBe('ApiTokenCreated');
    });
  });

  describe('ids and cursors that are not ours', () => {
    it('answers non-UUID ids in /export with 404, never 500', async () => {
      const { token } = await harness.newTeam();
      const ids = ['------------------------------------', 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz', '1', '%00'];

      const statuses = [];
      for (const kind of ['batches', 'runs', 'run-batches'])
        for (const id of ids)
          statuses.push(
            (
              await fetch(`${harness.api.url}/export/${kind}/${id}/junit.xml`, {
                headers: { authorization: `Bearer ${token}` },
              })
            ).status,
          );

      expect(new Set(statuses)).toEqual(new Set([404]));
    });

    it('answers forged cursors with BAD_USER_INPUT', async () => {
      const { token } = await harness.newTeam();
      const forged = [
        Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z', 'not-a-uuid'])).toString('base64url'),
        Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z', '------------------------------------'])).toString(
          'base64url',
        ),
        Buffer.from(JSON.stringify(['+275760-01-01T00:00:00.000Z', '6f1c2d9e-8a51-4f0e-9b0a-2f3b1c4d5e6f'])).toString(
          'base64url',
        ),
      ];

      for (const after of forged)
        for (const query of [
          'query($a: String) { runs(after: $a) { totalCount } }',
          'query($a: String) { scenarios(after: $a) { totalCount } }',
        ]) {
          const response = await harness.gql(token, query, { a: after });

          expect([after, response.status, response.errors?.[0]?.extensions?.code]).toEqual([
            after,
            200,
            'BAD_USER_INPUT',
          ]);
        }
    });
  });

  describe('parse failures are client errors', () => {
    it('answers a GraphQL syntax error with HTTP 400 GRAPHQL_PARSE_FAILED', async () => {
      const { token } = await harness.newTeam();

      const response = await post(token, JSON.stringify({ query: '{ viewer { role ' }));
      const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };

      expect(response.status).toBe(400);
      expect(body.errors[0]?.extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    });

    it('answers a document over the token limit with HTTP 400 before parsing it all', async () => {
      const { token } = await harness.newTeam();
      const query = `{ viewer { role } ${Array.from({ length: 1500 }, (_, i) => `a${i}: __typename`).join(' ')} }`;

      const response = await post(token, JSON.stringify({ query }));
      const body = (await response.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };

      expect(response.status).toBe(400);
      expect(body.errors[0]?.extensions.code).toBe('GRAPHQL_PARSE_FAILED');
      expect(body.errors[0]?.message).toMatch(/tokens/);
    });
  });

  describe('rate limits', () => {
    it('counts /export requests against the token budget and answers 429 with Retry-After', async () => {
      const { token } = await harness.newTeam();
      const missing = '6f1c2d9e-8a51-4f0e-9b0a-2f3b1c4d5e6f';

      const statuses: number[] = [];
      let limited: Response | undefined;
      for (let i = 0; i < rateLimitPerMinute + 3; i++) {
        const response = await fetch(`${harness.api.url}/export/runs/${missing}/junit.xml`, {
          headers: { authorization: `Bearer ${token}` },
        });
        statuses.push(response.status);
        if (response.status === 429) limited ??= response;
      }
      const graphql = await harness.gql(token, '{ viewer { role } }');

      expect(statuses.slice(0, rateLimitPerMinute)).toEqual(Array(rateLimitPerMinute).fill(404));
      expect(statuses.slice(rateLimitPerMinute)).toEqual([429, 429, 429]);
      expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(
        ((await limited?.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code,
      ).toBe('RATE_LIMITED');
      expect(graphql.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED'); // one budget for both
    });

    it('answers a rate-limited GraphQL request with 429 and Retry-After', async () => {
      const { token } = await harness.newTeam();

      let last: Response | undefined;
      for (let i = 0; i <= rateLimitPerMinute; i++)
        last = await post(token, JSON.stringify({ query: '{ viewer { role } }' }));

      expect(last?.status).toBe(429);
      expect(Number(last?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    });
  });

  describe('nameContains is literal text', () => {
    it('treats %, _ and \\ as themselves, not LIKE wildcards', async () => {
      const { token } = await harness.newTeam();
      const tag = randomBytes(3).toString('hex');
      const names = [`${tag} 100% done`, `${tag} 1000 done`, `${tag} a_b`, `${tag} axb`, `${tag} c\\d`, `${tag} cd`];
      for (const name of names)
        await createScenario(
          harness,
          token,
          exampleSpec('s04-hyperv-snp-confidential-storvsc.yaml', 100).replace(
            /^name: .*$/m,
            `name: ${JSON.stringify(name)}`,
          ),
        );
      const find = async (text: string) =>
        (
          await harness.gql<{ scenarios: { edges: Array<{ node: { name: string } }> } }>(
            token,
            'query($v: String!) { scenarios(filter: { nameContains: $v }) { edges { node { name } } } }',
            { v: text },
          )
        ).data.scenarios.edges
          .map((edge) => edge.node.name)
          .sort();

      expect(await find('100%')).toEqual([`${tag} 100% done`]);
      expect(await find('a_b')).toEqual([`${tag} a_b`]);
      expect(await find('c\\d')).toEqual([`${tag} c\\d`]);
      expect(await find('%')).toEqual([`${tag} 100% done`]);
      expect(await find(tag)).toHaveLength(names.length);
    });
  });
});
