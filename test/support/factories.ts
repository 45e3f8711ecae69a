import { summarizeFindings } from '../../src/engine/index';
import type { Database } from '../../src/platform/db';
import { ResultRepository } from '../../src/modules/result/result.repository';
import type { RunResultRecord } from '../../src/modules/result/result.types';
import { RunRepository } from '../../src/modules/run/run.repository';
import type { ApiHarness } from './api-harness';
import { minimalSpecYaml } from './spec-fixtures';

type ViolationInput = RunResultRecord['violations'][number];

/** A valid violation record; override only what the test is about. */
export function buildViolation(overrides: Partial<ViolationInput> = {}): ViolationInput {
  return {
    class: 'V1',
    severity: 'critical',
    deviceId: 'storvsc0',
    fingerprint: 'fp-v1-storvsc0',
    count: 10n,
    bytesExposed: 40960n,
    dataClass: 'secret',
    firstOp: 3n,
    path: 'dma_direct_map_phys → swiotlb_map',
    rule: 'A4',
    explanation: 'bounced through shared SWIOTLB',
    ...overrides,
  };
}

/** Completes a queued run the way the worker does (RUNNING, then one result transaction). */
export async function completeRun(
  db: Database,
  run: { id: string; teamId: string },
  result: {
    violations?: ViolationInput[];
    metrics?: Partial<RunResultRecord['metrics']>;
    samples?: RunResultRecord['samples'];
    resultHash?: string;
    now?: Date;
  } = {},
): Promise<boolean> {
  const now = result.now ?? new Date();
  await new RunRepository(db).startForJob(run.id, now);
  const written = await new ResultRepository(db).saveRunResult({
    runId: run.id,
    teamId: run.teamId,
    resultHash: result.resultHash ?? 'f'.repeat(64),
    report: { resultHash: result.resultHash ?? 'f'.repeat(64), violations: result.violations ?? [] },
    // The verdict the engine would give these violations (the one verdict model).
    summary: {
      ...summarizeFindings(
        (result.violations ?? []).map((v) => ({
          class: v.class,
          severity: v.severity as 'critical' | 'high' | 'info',
          count: Number(v.count),
          bytesExposed: Number(v.bytesExposed),
        })),
        [],
      ),
      operations: 100,
      violations: (result.violations ?? []).length,
      failures: 0,
    },
    violations: result.violations ?? [],
    metrics: {
      nslabs: 32768,
      nareas: 4,
      used: 0,
      hiwater: 1024,
      failedMaps: 0n,
      failedCoherentAllocs: 0n,
      bouncedBytesToDevice: 0n,
      bouncedBytesFromDevice: 0n,
      all: { 'swiotlb.hiwater': 1024 },
      ...result.metrics,
    },
    samples: result.samples ?? [],
  });
  return written !== undefined;
}

/** A fresh team whose scenarios and runs are created through GraphQL, as a client would (the API validates them). */
export interface TestTeam {
  readonly teamId: string;
  readonly token: string;
  /** Saves a minimal valid spec under this name; resolves to the scenario id. */
  scenario(name: string): Promise<string>;
  /** Submits a run of the scenario (QUEUED: nothing executes it); `overrides` as SubmitRunInput takes them. */
  queuedRun(scenarioId: string, overrides?: Record<string, unknown>): Promise<{ id: string; teamId: string }>;
}

export async function newTestTeam(harness: ApiHarness, prefix?: string): Promise<TestTeam> {
  const { teamId, token } = await harness.newTeam(prefix);
  return {
    teamId,
    token,
    async scenario(name) {
      const created = await harness.gql<{ createScenario: { scenario?: { id: string } } }>(
        token,
        'mutation($spec: String!) { createScenario(input: { spec: $spec }) { ... on ScenarioSaved { scenario { id } } } }',
        { spec: minimalSpecYaml({ name }) },
      );
      const id = created.data.createScenario.scenario?.id;
      if (id === undefined) throw new Error(`createScenario '${name}' saved nothing: ${JSON.stringify(created)}`);
      return id;
    },
    async queuedRun(scenarioId, overrides) {
      const submitted = await harness.gql<{ submitRun: { run?: { id: string } } }>(
        token,
        'mutation($input: SubmitRunInput!) { submitRun(input: $input) { ... on RunSubmitted { run { id } } } }',
        { input: { scenarioId, ...(overrides === undefined ? {} : { overrides }) } },
      );
      const id = submitted.data.submitRun.run?.id;
      if (id === undefined) throw new Error(`submitRun submitted nothing: ${JSON.stringify(submitted)}`);
      return { id, teamId };
    },
  };
}
