import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import pino from 'pino';
import { startWorkerProcess, type WorkerProcess } from '../../../src/main/worker.process';
import { parseConfig } from '../../../src/platform/config';
import { type ApiHarness, startApiHarness } from '../../support/api-harness';
import { minimalSpecYaml } from '../../support/spec-fixtures';

// BullMQ on a Redis Cluster: this test starts its own 3-master cluster on free loopback ports in a
// temp dir (never the shared Redis on 6379), points REDIS_URL at it as redis+cluster://, and runs
// submit → worker → result through it. Every key of this file's queues must land on one node (the
// prefix's hash tag puts them in one slot). The servers are killed by pid at the end.

const execFileAsync = promisify(execFile);

async function freePort(): Promise<number> {
  // The cluster bus listens on port + 10000, so stay below 55536.
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port: found } = server.address() as net.AddressInfo;
        server.close(() => resolve(found));
      });
    });
    if (port < 55_000) return port;
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('BullMQ on a Redis Cluster', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dmasim-cluster-'));
  const servers: ChildProcess[] = [];
  let ports: number[] = [];
  let harness: ApiHarness | undefined;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    ports = [];
    while (ports.length < 3) {
      const port = await freePort();
      if (!ports.includes(port)) ports.push(port);
    }
    for (const port of ports) {
      const server = spawn(
        'redis-server',
        [
          '--port', String(port),
          '--bind', '127.0.0.1',
          '--cluster-enabled', 'yes',
          '--cluster-config-file', path.join(dir, `nodes-${port}.conf`),
          '--dir', dir,
          '--save', '',
          '--appendonly', 'no',
          '--maxmemory-policy', 'noeviction',
        ], // prettier-ignore
        { stdio: 'ignore' },
      );
      servers.push(server);
    }
    for (const port of ports) {
      await until(`redis-server on ${port}`, async () => {
        const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
        try {
          await client.connect();
          return (await client.ping()) === 'PONG';
        } finally {
          client.disconnect();
        }
      });
    }
    await execFileAsync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-yes']);
    for (const port of ports) {
      await until(`cluster state ok on ${port}`, async () => {
        const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
        try {
          return String(await client.call('CLUSTER', 'INFO')).includes('cluster_state:ok');
        } finally {
          client.disconnect();
        }
      });
    }

    const redisUrl = `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`;
    harness = await startApiHarness({ REDIS_URL: redisUrl });
    worker = await startWorkerProcess(
      parseConfig({ ...process.env, REDIS_URL: redisUrl, WORKER_CONCURRENCY: '1' }),
      pino({ level: 'silent' }),
    );
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await harness?.stop();
    for (const server of servers) server.kill('SIGKILL');
    await Promise.all(
      servers.map((server) =>
        server.exitCode !== null || server.signalCode !== null
          ? Promise.resolve()
          : new Promise((resolve) => server.once('exit', resolve)),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs submit → worker → result through the cluster, with every queue key in one slot', async () => {
    const api = harness!;
    const { token } = await api.newTeam('cluster');
    const created = await api.gql<{ createScenario: { scenario: { id: string } } }>(
      token,
      'mutation($spec: String!) { createScenario(input: { spec: $spec }) { ... on ScenarioSaved { scenario { id } } } }',
      { spec: minimalSpecYaml({ name: 'on-cluster' }) },
    );
    const submitted = await api.gql<{ submitRun: { run: { id: string } } }>(
      token,
      'mutation($s: UUID!) { submitRun(input: { scenarioId: $s }) { ... on RunSubmitted { run { id } } } }',
      { s: created.data.createScenario.scenario.id },
    );
    const runId = submitted.data.submitRun.run.id;

    let run: { status: string; resultHash: string | null } | undefined;
    await until(
      'the run to finish',
      async () => {
        const response = await api.gql<{ run: NonNullable<typeof run> }>(
          token,
          'query($id: UUID!) { run(id: $id) { status resultHash } }',
          { id: runId },
        );
        run = response.data.run;
        return !['QUEUED', 'RUNNING'].includes(run.status);
      },
      90_000,
    );
    expect(run?.status).toBe('SUCCEEDED');
    expect(run?.resultHash).toMatch(/^[0-9a-f]{64}$/);

    // The queue's keys: present, and all on the one master that owns the prefix's slot.
    const prefix = process.env['BULLMQ_PREFIX']!;
    const keysPerNode = await Promise.all(
      ports.map(async (port) => {
        const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
        try {
          return (await client.keys(`${prefix}:runs:*`)).length;
        } finally {
          client.disconnect();
        }
      }),
    );
    expect(keysPerNode.filter((n) => n > 0)).toHaveLength(1);
    expect(keysPerNode.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  }, 120_000);
});
