import { type ApiHarness, startApiHarness } from '../../support/api-harness';

describe('authentication and tokens', () => {
  let harness: ApiHarness;

  beforeAll(async () => {
    harness = await startApiHarness();
  });

  afterAll(async () => {
    await harness.stop();
  });

  it('rejects a request without a token with 401 UNAUTHENTICATED', async () => {
    const response = await harness.gql(undefined, '{ viewer { role } }');

    expect(response.status).toBe(401);
    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('rejects a well-formed but unknown token', async () => {
    const response = await harness.gql(
      'dms_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      '{ viewer { role } }',
    );

    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('rejects a known prefix with the wrong secret', async () => {
    const { token } = await harness.newTeam();
    const tampered = `${token.slice(0, -3)}${token.endsWith('AAA') ? 'BBB' : 'AAA'}`;

    const response = await harness.gql(tampered, '{ viewer { role } }');

    expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('resolves the viewer of a first admin token and records its use', async () => {
    const { teamId, token } = await harness.newTeam('acme');

    const response = await harness.gql<{
      viewer: { role: string; team: { id: string } };
      apiTokens: Array<{ lastUsedAt: string | null }>;
    }>(token, '{ viewer { role team { id } } apiTokens { lastUsedAt } }');

    expect(response.errors).toBeUndefined();
    expect(response.data.viewer).toEqual({ role: 'ADMIN', team: { id: teamId } });
    expect(response.data.apiTokens[0]?.lastUsedAt).not.toBeNull();
  });

  it('creates a viewer token that authenticates, cannot manage tokens, and stops working once revoked', async () => {
    const { token: admin } = await harness.newTeam();
    const created = await harness.gql<{
      createApiToken: { secret: string; token: { id: string; role: string; prefix: string } };
    }>(
      admin,
      'mutation { createApiToken(input: { name: "dashboard", role: VIEWER }) { ... on ApiTokenCreated { secret token { id role prefix } } } }',
    );
    const viewerToken = created.data.createApiToken.secret;

    const asViewer = await harness.gql<{ viewer: { role: string } }>(viewerToken, '{ viewer { role } }');
    const forbidden = await harness.gql(viewerToken, '{ apiTokens { id } }');
    const revoked = await harness.gql<{ revokeApiToken: { token: { revokedAt: string | null } } }>(
      admin,
      'mutation($id: UUID!) { revokeApiToken(id: $id) { token { revokedAt } } }',
      {
        id: created.data.createApiToken.token.id,
      },
    );
    const afterRevoke = await harness.gql(viewerToken, '{ viewer { role } }');

    expect(viewerToken.startsWith(`dms_${created.data.createApiToken.token.prefix}_`)).toBe(true);
    expect(asViewer.data.viewer.role).toBe('VIEWER');
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(revoked.data.revokeApiToken.token.revokedAt).not.toBeNull();
    expect(afterRevoke.errors?.[0]).toMatchObject({
      message: 'token revoked',
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it("treats another team's token id exactly like a missing one", async () => {
    const a = await harness.newTeam();
    const b = await harness.newTeam();
    const bTokens = await harness.gql<{ apiTokens: Array<{ id: string }> }>(b.token, '{ apiTokens { id } }');
    const bTokenId = bTokens.data.apiTokens[0]!.id;

    const crossTeam = await harness.gql(a.token, 'mutation($id: UUID!) { revokeApiToken(id: $id) { token { id } } }', {
      id: bTokenId,
    });
    const missing = await harness.gql(a.token, 'mutation($id: UUID!) { revokeApiToken(id: $id) { token { id } } }', {
      id: '00000000-0000-4000-8000-000000000000',
    });
    const bStillWorks = await harness.gql(b.token, '{ viewer { role } }');

    expect(crossTeam.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(crossTeam.errors?.[0]?.message.replace(bTokenId, 'ID')).toBe(
      missing.errors?.[0]?.message.replace('00000000-0000-4000-8000-000000000000', 'ID'),
    );
    expect(bStillWorks.errors).toBeUndefined();
  });

  it('stores only a salted hash of the secret', async () => {
    const { token } = await harness.newTeam();
    const [, prefix, secret] = /^dms_([0-9a-f]{12})_(.+)$/.exec(token)!;

    const rows = await harness.api.services.teams['teams'].findCredentialByPrefix(prefix!);

    expect(rows).toBeDefined();
    expect(Buffer.from(rows!.secretHash).toString('utf8')).not.toContain(secret);
    expect(Buffer.from(rows!.secretHash)).toHaveLength(32);
  });

  it('stops a revoked token in another API process at once (it cached the credential; the revocation is announced)', async () => {
    const { token: admin } = await harness.newTeam();
    const created = await harness.gql<{ createApiToken: { secret: string; token: { id: string } } }>(
      admin,
      'mutation { createApiToken(input: { name: "ci", role: MEMBER }) { ... on ApiTokenCreated { secret token { id } } } }',
    );
    const token = created.data.createApiToken.secret;
    const other = await startApiHarness();
    try {
      // The other process authenticates the token once: its credential row is now cached there.
      expect((await other.gql(token, '{ viewer { role } }')).errors).toBeUndefined();
      await harness.gql(admin, 'mutation($id: UUID!) { revokeApiToken(id: $id) { token { id } } }', {
        id: created.data.createApiToken.token.id,
      });
      // Well before the cache's 10 s would have expired on its own.
      const deadline = Date.now() + 3_000;
      let lastError: string | undefined;
      while (Date.now() < deadline) {
        lastError = (await other.gql(token, '{ viewer { role } }')).errors?.[0]?.message;
        if (lastError) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(lastError).toBe('token revoked');
    } finally {
      await other.stop();
    }
  });
});
