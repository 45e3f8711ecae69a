import { readdirSync } from 'node:fs';
import pino from 'pino';
import { startApi } from '../../../src/main/api.process';
import { bootstrapDemoTeam, examplesDir } from '../../../src/api/demo-team';
import { engineSpecValidator } from '../../../src/modules/scenario/engine-spec-validator';
import { parseConfig } from '../../../src/platform/config';
import { createEmptyDatabase, dropDatabase, migrateWithCli, randomDatabaseName } from '../../support/test-database';

describe('first start on an empty database', () => {
  const name = randomDatabaseName('dmasim_demo');

  afterAll(async () => {
    await dropDatabase(name);
  });

  it('creates the demo team with every example scenario once, and never again', async () => {
    const databaseUrl = await createEmptyDatabase(name);
    await migrateWithCli(databaseUrl);
    const api = await startApi(parseConfig({ ...process.env, DATABASE_URL: databaseUrl }), pino({ level: 'silent' }), {
      specs: engineSpecValidator,
      port: 0,
    });

    const first = await bootstrapDemoTeam(api.services);
    const second = await bootstrapDemoTeam(api.services);
    const viewer = await api.services.teams.authenticate(`Bearer ${first!.token}`);
    const scenarios = await api.services.scenarios.list(viewer, {}, 100, null);
    await api.stop();

    const exampleCount = readdirSync(examplesDir).filter((f) => /\.(ya?ml|json)$/.test(f)).length;
    expect(first?.scenarios).toBe(exampleCount);
    expect(second).toBeNull();
    expect(viewer.role).toBe('admin');
    expect(scenarios.totalCount).toBe(exampleCount);
  });
});
