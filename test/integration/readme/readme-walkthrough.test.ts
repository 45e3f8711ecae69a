// Walks the README as a newcomer would, with the commands EXTRACTED from README.md (so the README
// cannot drift from what works): `npm start`'s `dmasim serve` against a database that does not exist
// yet (it creates it, migrates, and serves with a worker), `npx dmasim team create`, `export
// DMASIM_TOKEN=…`, then the curl + jq walk-through (create a scenario, submit a run with a unique key,
// poll until it is final, read its critical violations), run by bash exactly as printed.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { adminDatabaseUrl, databaseUrlFor, dropDatabase, randomDatabaseName } from '../../support/test-database';

const execFileAsync = promisify(execFile);
const repoRoot = path.join(__dirname, '..', '..', '..');
const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const shellBlocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);

jest.setTimeout(240_000);

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function databaseExists(name: string): Promise<boolean> {
  const client = new Client({ connectionString: adminDatabaseUrl() });
  await client.connect();
  try {
    return (await client.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1;
  } finally {
    await client.end();
  }
}

/** The README's commands, each found by what it does, so a reworded README still has to contain them. */
function extract(): { start: string; teamCreate: string; exportToken: string; walkthrough: string } {
  const lines = shellBlocks.flatMap((block) => block.split('\n'));
  const start = lines.find((line) => /^npm start\b/.test(line));
  const teamCreate = lines.find((line) => line.startsWith('npx dmasim team create'));
  const exportToken = lines.find((line) => line.startsWith('export DMASIM_TOKEN='));
  const walkthrough = shellBlocks.find((block) => block.includes('gql()') && block.includes('submitRun'));
  if (!start || !teamCreate || !exportToken || !walkthrough)
    throw new Error(
      'the README lost a quick-start command (npm start, team create, export DMASIM_TOKEN or the curl walk-through)',
    );
  return { start, teamCreate: teamCreate.replace(/\s+#.*$/, ''), exportToken, walkthrough };
}

describe('the README walk-through on a fresh database', () => {
  const database = randomDatabaseName('dmasim_readme');
  let server: ChildProcess | undefined;
  let output = '';

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    await dropDatabase(database);
  });

  it('npm start creates the database and serves; team create, export and the curl walk-through work as printed', async () => {
    const commands = extract();
    // `npm start` = scripts/start.js serve: the build is what the global setup already made; the
    // command it ends in is `dmasim serve`, run here through the same bin.
    expect(commands.start).toMatch(/^npm start\b/);
    expect(JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).scripts.start).toBe(
      'node scripts/start.js serve',
    );
    const port = await freePort();
    const databaseUrl = databaseUrlFor(database);
    expect(await databaseExists(database)).toBe(false);
    const env = {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      WORKER_CONCURRENCY: '1',
      DMASIM_FROM_SOURCE: '1',
    };
    server = spawn(process.execPath, [path.join(repoRoot, 'bin', 'dmasim.js'), 'serve'], { cwd: repoRoot, env });
    server.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    server.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const base = `http://localhost:${port}/`;
    for (let i = 0; i < 600 && !output.includes(`dashboard: `); i++) {
      if (server.exitCode !== null) throw new Error(`dmasim serve exited: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(output).toContain(`created database ${databaseUrl}`);
    expect(output).toContain('demo admin token (shown once');
    expect(output).toMatch(new RegExp(`dashboard: (${base.replace(/[/.]/g, '\\$&')}|not built)`));
    const root = await fetch(base);
    expect(await root.text()).toContain('POST /graphql');

    // npx dmasim team create my-team → "admin token (shown once): dms_…"
    const teamCommand = commands.teamCreate.replace(/^npx dmasim /, '').split(/\s+/);
    const { stdout: teamOutput } = await execFileAsync(
      process.execPath,
      [path.join(repoRoot, 'bin', 'dmasim.js'), ...teamCommand],
      { cwd: repoRoot, env },
    );
    const token = /admin token \(shown once\): (dms_\S+)/.exec(teamOutput)?.[1];
    expect(token).toBeDefined();
    expect(commands.exportToken).toMatch(/^export DMASIM_TOKEN=dms_/);

    // The walk-through, verbatim except for the port, with the token exported as the README says.
    const script = `set -euo pipefail\nexport DMASIM_TOKEN=${token}\n${commands.walkthrough.replaceAll('http://localhost:4000', base.replace(/\/$/, ''))}`;
    const { stdout } = await execFileAsync('bash', ['-c', script], { cwd: repoRoot, env, timeout: 180_000 });

    const statusLines = stdout.split('\n').filter((line) => /^run [0-9a-f-]{36}: /.test(line));
    expect(statusLines.at(-1)).toMatch(/: SUCCEEDED$/);
    const result = JSON.parse(stdout.slice(stdout.lastIndexOf('{"data"'))) as {
      data: { violations: { totalCount: number; edges: Array<{ node: { class: string; bytesExposed: string } }> } };
    };
    // s04 bounces confidential storvsc data through shared SWIOTLB: critical V1 findings, read after the run finished.
    expect(result.data.violations.totalCount).toBeGreaterThan(0);
    expect(result.data.violations.edges.map((e) => e.node.class)).toContain('V1');
  });
});
