import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { type ApiProcess, startApi } from '../../src/main/api.process';
import { parseConfig } from '../../src/platform/config';
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
