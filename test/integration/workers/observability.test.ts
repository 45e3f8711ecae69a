import pino from 'pino';
import { startWorkerProcess } from '../../../src/main/worker.process';
import { parseConfig } from '../../../src/platform/config';
import { type ApiHarness, startApiHarness } from '../../support/api-harness';
import { isFinal, obliterate, submitRun, waitForRun } from './pipeline-support';

// Waits here poll with their own, informative deadlines (waitForRun and waitForBatch: 60 s); the
// jest timeout (tests and the hooks that start a worker with its warm engine threads) must exceed them.
jest.setTimeout(120_000);

// /metrics carries the pipeline's metrics (queue depth by state, run durations, runs by final
// status, engine throughput) when the API and a worker share a process, as under npm start. The
// bull-board UI at /admin/queues and its operator credential: test/integration/api/security.test.ts.
describe('pipeline observability', () => {
  let harness: ApiHarness;
  let stopWorker: () => Promise<void>;

  beforeAll(async () => {
    harness = await startApiHarness();
    const handle = await startWorkerProcess(parseConfig({ ...process.env }), pino({ level: 'silent' }));
    stopWorker = () => handle.stop();
  });

  afterAll(async () => {
    await stopWorker();
    await obliterate();
    await harness.stop();
  });

  it('exposes queue depth, run duration, final statuses and engine throughput on /metrics', async () => {
    const { token } = await harness.newTeam();
    const runId = await submitRun(harness, token, { operations: 3000 });
    await waitForRun(harness, token, runId, isFinal);
    await new Promise((resolve) => setTimeout(resolve, 500)); // the worker records metrics right after the job completes

    const response = await fetch(`${harness.api.url}/metrics`);
    const text = await response.text();

    expect(response.status).toBe(200);
    expect(text).toMatch(/dmasim_queue_jobs\{state="waiting"\} \d+/);
    expect(text).toMatch(/dmasim_queue_jobs\{state="completed"\} [1-9]/);
    expect(text).toMatch(/dmasim_run_duration_seconds_count\{status="SUCCEEDED",phase="total"\} [1-9]/);
    expect(text).toMatch(/dmasim_runs_finished_total\{status="SUCCEEDED"\} [1-9]/);
    expect(text).toMatch(/dmasim_engine_ops_per_second_count [1-9]/);
    expect(text).toMatch(/dmasim_engine_operations_total [1-9]/);
  });
});
