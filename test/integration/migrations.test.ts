import { createDatabase, type Database } from '../../src/platform/db';
import { createEmptyDatabase, dropDatabase, migrateWithCli, randomDatabaseName } from '../support/test-database';

// Applies every migration to an empty database through `dmasim migrate`, then round-trips each
// Prisma model, so prisma/schema.prisma and the SQL migrations cannot drift apart silently.
describe('migrations', () => {
  const name = randomDatabaseName('dmasim_migrations');
  let databaseUrl: string;
  let db: Database;

  beforeAll(async () => {
    databaseUrl = await createEmptyDatabase(name);
  });

  afterAll(async () => {
    await db?.$disconnect();
    await dropDatabase(name);
  });

  it('applies all migrations to an empty database, then finds nothing left to do', async () => {
    const first = await migrateWithCli(databaseUrl);
    const second = await migrateWithCli(databaseUrl);

    expect(first).toMatch(/migrate up: \d+ migration\(s\)/);
    expect(first).toContain('teams-and-tokens');
    expect(second).toContain('nothing to do');
  });

  it('round-trips every model through the Prisma client', async () => {
    db = createDatabase({ databaseUrl, schema: 'public' });

    const team = await db.team.create({ data: { name: 'kernel-team' } });
    const member = await db.member.create({ data: { teamId: team.id, email: 'a@example.org', role: 'admin' } });
    const token = await db.apiToken.create({
      data: { teamId: team.id, name: 'ci', role: 'member', prefix: 'dms_abc', salt: Buffer.from([1, 2]), secretHash: Buffer.from([3, 4, 5]) },
    });
    const loaded = await db.team.findUniqueOrThrow({ where: { id: team.id }, include: { members: true, apiTokens: true } });

    expect(loaded.name).toBe('kernel-team');
    expect(loaded.createdAt).toBeInstanceOf(Date);
    expect(loaded.members).toEqual([member]);
    expect(loaded.apiTokens).toHaveLength(1);
    expect(Buffer.from(loaded.apiTokens[0]!.secretHash)).toEqual(Buffer.from([3, 4, 5]));
    expect(loaded.apiTokens[0]!.lastUsedAt).toBeNull();
    expect(token.role).toBe('member');
  });

  it('enforces the constraints the SQL declares (unique team name, token prefix)', async () => {
    const team = await db.team.create({ data: { name: 'dup-check' } });

    await expect(db.team.create({ data: { name: 'dup-check' } })).rejects.toThrow();
    await db.apiToken.create({ data: { teamId: team.id, name: 'x', role: 'viewer', prefix: 'dms_dup', salt: Buffer.alloc(1), secretHash: Buffer.alloc(1) } });
    await expect(
      db.apiToken.create({ data: { teamId: team.id, name: 'y', role: 'viewer', prefix: 'dms_dup', salt: Buffer.alloc(1), secretHash: Buffer.alloc(1) } }),
    ).rejects.toThrow();
  });

  it('reverts the newest migration with migrate down and re-applies it', async () => {
    await db.$disconnect();

    const down = await migrateWithCli(databaseUrl, ['down']);
    const up = await migrateWithCli(databaseUrl);

    expect(down).toMatch(/migrate down: 1 migration\(s\)/);
    expect(up).toMatch(/migrate up: 1 migration\(s\)/);
  });
});
