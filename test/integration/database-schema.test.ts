import { ENGINE_VERSION } from '../../src/engine/index';
import { createDatabase, type Database } from '../../src/platform/db';
import { RunReaderRepository } from '../../src/modules/run/run-reader.repository';
import { RunRepository } from '../../src/modules/run/run.repository';
import { ScenarioRepository } from '../../src/modules/scenario/scenario.repository';
import { TeamRepository } from '../../src/modules/team/team.repository';
import { createEmptyDatabase, dropDatabase, migrateWithCli, randomDatabaseName } from '../support/test-database';

// DATABASE_SCHEMA puts the tables in another schema. Prisma qualifies its own queries with it; the
// run path's plain SQL (prepared statements) finds the same tables through the connections'
// search_path, so a run submitted and started there lands in that schema and nowhere else.
describe('a database schema other than public', () => {
  const name = randomDatabaseName('dmasim_schema');
  let databaseUrl: string;
  let db: Database;

  beforeAll(async () => {
    databaseUrl = await createEmptyDatabase(name);
    await migrateWithCli(databaseUrl, [], 'tenant_a');
    db = createDatabase({ databaseUrl, schema: 'tenant_a', poolSize: 2 });
  });

  afterAll(async () => {
    await db?.$disconnect();
    await dropDatabase(name);
  });

  it('inserts, reads, counts and starts runs in the configured schema', async () => {
    const team = await new TeamRepository(db).createTeam('schema-team');
    const { version } = await new ScenarioRepository(db).create({
      teamId: team.id,
      name: 'in-tenant-a',
      description: '',
      tags: [],
      spec: { name: 'in-tenant-a' } as never,
      specHash: 'h'.repeat(64),
      tokenId: null as never,
    });
    const runs = new RunRepository(db);
    const run = await runs.insert({
      teamId: team.id,
      scenarioId: version.scenarioId,
      scenarioVersionId: version.id,
      profile: 'v7.2',
      overlays: [],
      seed: 7n,
      engineVersion: ENGINE_VERSION,
      trigger: 'API',
      idempotencyKey: 'k-1',
      idempotencyInputHash: 'i'.repeat(64),
      timeLimitMs: null,
    });
    const queued = await new RunReaderRepository(db).queuedRunCount(team.id);
    const byKey = await runs.findByIdempotencyKey(team.id, 'k-1');
    const started = await runs.startForJob(run.id, new Date());
    const versionToRun = await new ScenarioRepository(db).findVersionToRun(team.id, { scenarioId: version.scenarioId });
    const inSchema = await db.$queryRawUnsafe<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM tenant_a.run WHERE id = '${run.id}'`,
    );
    const publicRunTable = await db.$queryRawUnsafe<Array<{ exists: boolean }>>(
      `SELECT to_regclass('public.run') IS NOT NULL AS exists`,
    );

    expect(run).toMatchObject({ status: 'QUEUED', seed: 7n, trigger: 'API', idempotencyKey: 'k-1' });
    expect(queued).toBe(1);
    expect(byKey?.run.id).toBe(run.id);
    expect(started?.run).toMatchObject({ id: run.id, status: 'RUNNING', attempts: 1 });
    expect(versionToRun).toMatchObject({
      version: { id: version.id },
      scenarioName: 'in-tenant-a',
      scenarioArchived: false,
    });
    expect(inSchema[0]?.n).toBe(1);
    expect(publicRunTable[0]?.exists).toBe(false);
  });
});
