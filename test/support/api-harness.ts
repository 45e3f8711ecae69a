import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { type ApiProcess, startApi } from '../../src/main/api.process';
import { parseConfig } from '../../src/platform/config';
import { createDatabase, type Database } from '../../src/platform/db';
import { engineSpecValidator } from '../../src/modules/scenario/engine-spec-validator';

/** A started API (real HTTP, PostgreSQL and Redis) on a free port, built exactly as `dmasim serve` builds it. */
export interface ApiHarness {
  readonly api: ApiProcess;
  /** Creates a fresh team (unique name) and returns its admin bearer token. */
  newTeam(prefix?: string): Promise<{ teamId: string; token: string }>;
  /** POSTs a GraphQL operation with the token; returns status and parsed body. */
  gql<T = Record<string, unknown>>(
    token: string | undefined,
    query: string,
    variables?: Record<string, unknown>,
  ): Promise<GqlResponse<T>>;
  stop(): Promise<void>;
}

export interface GqlResponse<T> {
  readonly status: number;
  readonly data: T;
  readonly errors?: Array<{ message: string; path?: string[]; extensions?: { code?: string; [key: string]: unknown } }>;
}

export async function startApiHarness(overrides: Record<string, string> = {}): Promise<ApiHarness> {
  const config = parseConfig({ ...process.env, NODE_ENV: 'production', ...overrides });
  const api = await startApi(config, pino({ level: 'silent' }), { specs: engineSpecValidator, port: 0 });
  return {
    api,
    async newTeam(prefix = 'team') {
      const { team, bearer } = await api.services.teams.createTeam(`${prefix}-${randomBytes(5).toString('hex')}`);
      return { teamId: team.id, token: bearer };
    },
    async gql<T>(token: string | undefined, query: string, variables?: Record<string, unknown>) {
      const response = await fetch(`${api.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data: T; errors?: GqlResponse<T>['errors'] };
      return { status: response.status, data: body.data, ...(body.errors ? { errors: body.errors } : {}) };
    },
    stop: () => api.stop(),
  };
}

/** What `useApiHarness` hands a test file: the started API and a Prisma client on the file's database. */
export interface ApiHarnessFixture {
  readonly harness: ApiHarness;
  readonly db: Database;
}

/**
 * Starts an API harness and opens the file's database before the tests of the enclosing describe
 * block, and closes both after them. The getters throw when read outside a test (before beforeAll has
 * run), where a silent undefined would only fail later and further away.
 */
export function useApiHarness(overrides: Record<string, string> = {}): ApiHarnessFixture {
  let harness: ApiHarness | undefined;
  let db: Database | undefined;

  beforeAll(async () => {
    harness = await startApiHarness(overrides);
    // DATABASE_URL names the file's own database only once per-file-database.ts's beforeAll has run.
    db = createDatabase({ databaseUrl: process.env['DATABASE_URL']!, schema: 'public' });
  });

  afterAll(async () => {
    await db?.$disconnect();
    await harness?.stop();
  });

  return {
    get harness() {
      if (!harness) throw new Error('useApiHarness: the harness is started in beforeAll; read it inside a test');
      return harness;
    },
    get db() {
      if (!db) throw new Error('useApiHarness: the database is opened in beforeAll; read it inside a test');
      return db;
    },
  };
}
