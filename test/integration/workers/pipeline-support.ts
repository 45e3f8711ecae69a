import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QueueName } from '../../../src/modules/run/run.queue';
import type { ApiHarness } from '../../support/api-harness';

// Helpers shared by the pipeline's integration tests (real PostgreSQL, Redis and worker threads).
const examples = path.join(__dirname, '..', '..', '..', 'examples');

export interface RunView {
  id: string;
  status: string;
  progress: number;
  attempts: number;
  resultHash: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}
export const runFields = 'id status progress attempts resultHash errorCode errorMessage startedAt finishedAt';

/** An example spec with its operation count replaced (small = fast; above 10 M the spec's limit is raised too). */
export function exampleSpec(file: string, operations: number): string {
  // A unique name per call: scenario names are unique per team.
  const spec = readFileSync(path.join(examples, file), 'utf8')
    .replace(/operations: \d+/, `operations: ${operations}`)
    .replace(/^name: (\S+)/m, (_match, name: string) => `name: ${name}-${randomBytes(4).toString('hex')}`);
  return operations > 10_000_000 ? `${spec.trimEnd()}\nlimits:\n  maxOperations: ${operations}\n` : spec;
}

/**
 * A run that cannot finish within a test's time limit on any machine: 100 M operations (the
 * engine's cap), many seconds even for an engine far faster than today's. Tests that need a run to
 * outlast a limit or a grace period use it and always stop it (time limit, cancel, shutdown).
 */
export const unfinishable = { operations: 100_000_000 } as const;

export async function createScenario(harness: ApiHarness, token: string, spec: string): Promise<string> {
  const created = await harness.gql<{ createScenario: { scenario?: { id: string } } }>(
    token,
    'mutation($spec: String!) { createScenario(input: { spec: $spec }) { ... on ScenarioSaved { scenario { id } } } }',
    { spec },
  );
  const id = created.data.createScenario.scenario?.id;
  if (!id) throw new Error(`createScenario failed: ${JSON.stringify(created)}`);
  return id;
}

export async function submitRun(
  harness: ApiHarness,
  token: string,
  options: { file?: string; operations?: number; scenarioId?: string; timeLimitMs?: number } = {},
): Promise<string> {
  const scenarioId =
    options.scenarioId ??
    (await createScenario(
      harness,
      token,
      exampleSpec(options.file ?? 's04-hyperv-snp-confidential-storvsc.yaml', options.operations ?? 2000),
    ));
  const response = await harness.gql<{ submitRun: { run?: { id: string } } }>(
    token,
    'mutation($s: UUID!, $t: Int) { submitRun(input: { scenarioId: $s, timeLimitMs: $t }) { ... on RunSubmitted { run { id } } ... on InputRejected { userErrors { message } } } }',
    { s: scenarioId, t: options.timeLimitMs ?? null },
  );
  const id = response.data.submitRun.run?.id;
  if (!id) throw new Error(`submitRun failed: ${JSON.stringify(response)}`);
  return id;
}

export async function getRun(harness: ApiHarness, token: string, runId: string): Promise<RunView> {
  const response = await harness.gql<{ run: RunView }>(token, `query($id: UUID!) { run(id: $id) { ${runFields} } }`, {
    id: runId,
  });
  return response.data.run;
}

/** Polls until `predicate` holds (generous: no timing assertions, only an upper bound). */
export async function waitForRun(
  harness: ApiHarness,
  token: string,
  runId: string,
  predicate: (run: RunView) => boolean,
  timeoutMs = 60_000,
): Promise<RunView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A dropped keep-alive connection (the server closing an idle socket as the client reuses it) is retried.
    const run = await getRun(harness, token, runId).catch((error: unknown) => {
      if (Date.now() > deadline) throw error;
      return undefined;
    });
    if (run === undefined) continue;
    if (predicate(run)) return run;
    if (Date.now() > deadline)
      throw new Error(`run ${runId} did not reach the expected state; last ${JSON.stringify(run)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export const isFinal = (run: RunView): boolean => !['QUEUED', 'RUNNING'].includes(run.status);

/** The runs queue of this test file's prefix, for inspecting or breaking Redis state. */
export function testQueue(): Queue {
  return new Queue(QueueName.runs, {
    connection: { url: process.env['REDIS_URL']!, maxRetriesPerRequest: null },
    prefix: process.env['BULLMQ_PREFIX']!,
  });
}

/** Deletes every Redis key of this file's BullMQ prefix (what a Redis restart without persistence does). */
export async function deleteOwnPrefixKeys(): Promise<number> {
  const client = new Redis(process.env['REDIS_URL']!);
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${process.env['BULLMQ_PREFIX']!}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  if (keys.length > 0) await client.del(...keys);
  await client.quit();
  return keys.length;
}

export async function obliterate(): Promise<void> {
  const queue = testQueue();
  await queue.obliterate({ force: true });
  await queue.close();
}
