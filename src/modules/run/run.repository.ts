import type { Database } from '../../platform/db';
import type { Prisma, Run as RunRow, RunBatch as RunBatchRow } from '../../generated/prisma/client';
import type { CursorKey, Page } from '../common/cursor';
import { translateUnique } from '../common/prisma-errors';
import { parseRunOverlays, parseRunSummary } from './run.json';
import type {
  NewRun,
  Run,
  RunBatch,
  RunBatchWithRuns,
  RunFilter,
  RunResultSummary,
  RunStatus,
  RunVerdict,
} from './run.types';

/**
 * A run row's columns under the names of Prisma's `Run` model, for plain SQL that maps its rows with
 * toRun(): the seed (bigint) comes back as a string from node-postgres and is converted there.
 */
const runColumns = `r.id, r.team_id AS "teamId", r.scenario_id AS "scenarioId", r.scenario_version_id AS "scenarioVersionId",
  r.batch_id AS "batchId", r.profile, r.overlays, r.seed, r.engine_version AS "engineVersion", r.status::text AS status,
  r.trigger::text AS trigger, r.idempotency_key AS "idempotencyKey", r.attempts, r.progress, r.revision, r.error_code AS "errorCode",
  r.error_message AS "errorMessage", r.result_hash AS "resultHash", r.created_at AS "createdAt",
  r.started_at AS "startedAt", r.finished_at AS "finishedAt", r.time_limit_ms AS "timeLimitMs",
  r.heartbeat_at AS "heartbeatAt", r.verdict, r.verdict_levels AS "verdictLevels", r.summary,
  r.idempotency_input_hash AS "idempotencyInputHash", r.operations_cap AS "operationsCap"`;

/** A run row as node-postgres returns `runColumns`. */
type RunSqlRow = Omit<RunRow, 'seed'> & { seed: string | bigint };

/** The statements every run executes, as prepared statements (platform/db.ts `sql`). */
const runStatements = {
  insert: {
    name: 'dmasim_run_insert',
    text: `INSERT INTO run AS r (team_id, scenario_id, scenario_version_id, profile, overlays, seed, engine_version, trigger,
        idempotency_key, time_limit_ms, operations_cap, idempotency_input_hash)
      VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5::jsonb, $6::bigint, $7, $8::text::"RunTrigger", $9, $10::int, $11::int, $12)
      RETURNING ${runColumns}`,
  },
  findById: {
    name: 'dmasim_run_find_by_id',
    text: `SELECT ${runColumns} FROM run r WHERE r.id = $1::uuid AND r.team_id = $2::uuid`,
  },
  findByIdempotencyKey: {
    name: 'dmasim_run_find_by_idempotency_key',
    text: `SELECT ${runColumns} FROM run r WHERE r.team_id = $1::uuid AND r.idempotency_key = $2`,
  },
  startForJob: {
    name: 'dmasim_run_start_for_job',
    text: `UPDATE run r SET status = 'RUNNING', started_at = $2, heartbeat_at = $2, attempts = r.attempts + 1
      FROM team t
      WHERE r.id = $1::uuid AND r.status IN ('QUEUED', 'RUNNING') AND t.id = r.team_id AND run_notify_after_commit()
      RETURNING ${runColumns}, t.run_time_limit_ms AS "teamTimeLimitMs", run_updated_payload(r) AS "runUpdatedPayload"`,
  },
  notifyRunUpdatedNow: {
    name: 'dmasim_run_updated_notify_now',
    text: `SELECT run_updated_notify_now($1)`,
  },
} as const;

/**
 * Sends a run's change notification (`runUpdatedChannel`) that its writing statement left to it
 * with run_notify_after_commit() (migration 1796410800000_run-notify-after-commit): after that
 * statement's commit, in a transaction of its own committed without waiting for its WAL flush, so
 * the run's hot-path commits do not queue on PostgreSQL's notification lock across their flushes.
 * Never throws: the change is committed whatever happens here, and a subscriber that misses the
 * notification reads the run at its next safety poll (RunUpdates).
 */
export async function notifyRunUpdatedAfterCommit(db: Database, payload: string): Promise<void> {
  try {
    await db.sql.rows(runStatements.notifyRunUpdatedNow, [payload]);
  } catch {
    // Nothing to undo or retry: see above.
  }
}

/** All SQL for runs and batches; every read and write is scoped by team id. */
export class RunRepository {
  constructor(private readonly db: Database) {}

  /** Inserts a run; a second run with the same team idempotency key is CONFLICT. */
  async insert(run: NewRun): Promise<Run> {
    const data = newRunData(run);
    try {
      const [row] = await this.db.sql.rows<RunSqlRow>(runStatements.insert, [
        data.teamId,
        data.scenarioId,
        data.scenarioVersionId,
        data.profile,
        JSON.stringify(data.overlays),
        String(data.seed),
        data.engineVersion,
        data.trigger,
        data.idempotencyKey ?? null,
        data.timeLimitMs ?? null,
        data.operationsCap ?? null,
        data.idempotencyInputHash ?? null,
      ]);
      return toRun(row!);
    } catch (error: unknown) {
      throw translateUnique(error, `a run with idempotency key '${run.idempotencyKey ?? ''}' exists`);
    }
  }

  /** Creates a batch and its runs atomically. */
  async insertBatch(
    batch: { teamId: string; scenarioId: string },
    runs: readonly NewRun[],
  ): Promise<{ batch: RunBatch; runs: Run[] }> {
    return this.db.$transaction(async (tx) => {
      const batchRow = await tx.runBatch.create({
        data: { teamId: batch.teamId, scenarioId: batch.scenarioId, trigger: 'BATCH' },
      });
      const runRows: RunRow[] = [];
      for (const run of runs) runRows.push(await tx.run.create({ data: { ...newRunData(run), batchId: batchRow.id } }));
      return { batch: toBatch(batchRow), runs: runRows.map(toRun) };
    });
  }

  async findById(teamId: string, id: string): Promise<Run | undefined> {
    const [row] = await this.db.sql.rows<RunSqlRow>(runStatements.findById, [id, teamId]);
    return row ? toRun(row) : undefined;
  }

  /** The run first submitted with this key, and the hash of the submission it came with (null for runs stored before hashes). */
  async findByIdempotencyKey(
    teamId: string,
    idempotencyKey: string,
  ): Promise<{ run: Run; inputHash: string | null } | undefined> {
    const [row] = await this.db.sql.rows<RunSqlRow>(runStatements.findByIdempotencyKey, [teamId, idempotencyKey]);
    return row ? { run: toRun(row), inputHash: row.idempotencyInputHash } : undefined;
  }

  async findBatch(teamId: string, id: string): Promise<RunBatch | undefined> {
    const row = await this.db.runBatch.findFirst({ where: { id, teamId } });
    return row ? toBatch(row) : undefined;
  }

  async listBatchRuns(teamId: string, batchId: string): Promise<Run[]> {
    return (
      await this.db.run.findMany({ where: { teamId, batchId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] })
    ).map(toRun);
  }

  /** Keyset page over (createdAt, id) in the requested direction, with the filter's total. */
  async list(
    teamId: string,
    filter: RunFilter,
    direction: 'asc' | 'desc',
    first: number,
    after?: CursorKey,
  ): Promise<Page<Run>> {
    const where: Prisma.RunWhereInput = {
      teamId,
      ...(filter.status?.length ? { status: { in: [...filter.status] } } : {}),
      ...(filter.trigger?.length ? { trigger: { in: [...filter.trigger] } } : {}),
      ...(filter.scenarioId ? { scenarioId: filter.scenarioId } : {}),
      ...(filter.batchId ? { batchId: filter.batchId } : {}),
      ...(filter.profile ? { profile: filter.profile } : {}),
      ...(filter.verdict?.length ? { verdict: { in: [...filter.verdict] } } : {}),
      ...(filter.verdictLevel?.length ? { verdictLevels: { hasSome: [...filter.verdictLevel] } } : {}),
      ...(filter.createdAt?.from || filter.createdAt?.to
        ? {
            createdAt: {
              ...(filter.createdAt.from ? { gte: filter.createdAt.from } : {}),
              ...(filter.createdAt.to ? { lt: filter.createdAt.to } : {}),
            },
          }
        : {}),
    };
    const beyond = direction === 'desc' ? 'lt' : 'gt';
    const page: Prisma.RunWhereInput = after
      ? {
          OR: [
            { createdAt: { [beyond]: after.createdAt } },
            { createdAt: after.createdAt, id: { [beyond]: after.id } },
          ],
        }
      : {};
    const [rows, totalCount] = await Promise.all([
      this.db.run.findMany({
        where: { AND: [where, page] },
        orderBy: [{ createdAt: direction }, { id: direction }],
        take: first + 1,
      }),
      this.db.run.count({ where }),
    ]);
    return { items: rows.slice(0, first).map(toRun), hasNextPage: rows.length > first, totalCount };
  }

  /** Moves a run to CANCELLED only from QUEUED or RUNNING; returns the run as it is afterwards. */
  async cancel(teamId: string, id: string, now: Date): Promise<Run | undefined> {
    await this.db.run.updateMany({
      where: { id, teamId, status: { in: ['QUEUED', 'RUNNING'] } },
      data: { status: 'CANCELLED', finishedAt: now },
    });
    return this.findById(teamId, id);
  }

  /** QUEUED (or RUNNING after a crash) → RUNNING with a start time and attempt count; false if the run is final or gone. */
  async markRunning(id: string, now: Date): Promise<boolean> {
    const moved = await this.db.run.updateMany({
      where: { id, status: { in: ['QUEUED', 'RUNNING'] } },
      data: { status: 'RUNNING', startedAt: now, heartbeatAt: now, attempts: { increment: 1 } },
    });
    return moved.count === 1;
  }

  /**
   * The executor's start, in one round trip: QUEUED (or RUNNING after a crash) → RUNNING with a
   * start time and attempt count, returning the run and its team's default time limit; undefined
   * when the run is final or gone (then `statusOf` tells which).
   */
  async startForJob(id: string, now: Date): Promise<{ run: Run; teamTimeLimitMs: number | null } | undefined> {
    const [row] = await this.db.sql.rows<RunSqlRow & { teamTimeLimitMs: number | null; runUpdatedPayload: string }>(
      runStatements.startForJob,
      [id, now],
    );
    if (!row) return undefined;
    // Not awaited: the executor waits for this answer before it stores a result, and the RUNNING
    // notification need not delay that (a subscriber orders states by revision, so a RUNNING heard
    // after the SUCCEEDED it preceded is dropped).
    void notifyRunUpdatedAfterCommit(this.db, row.runUpdatedPayload);
    return { run: toRun(row), teamTimeLimitMs: row.teamTimeLimitMs };
  }

  /**
   * Records progress of a RUNNING run and stamps its heartbeat (the executor is alive); ignored once
   * the run is final, e.g. cancelled meanwhile.
   */
  async updateProgress(id: string, progress: number, now: Date): Promise<void> {
    await this.db.run.updateMany({
      where: { id, status: 'RUNNING' },
      data: { progress: Math.min(1, Math.max(0, progress)), heartbeatAt: now },
    });
  }

  /** Records how far a cancelled run got (the status is already CANCELLED). */
  async updateCancelledProgress(id: string, progress: number): Promise<void> {
    await this.db.run.updateMany({
      where: { id, status: 'CANCELLED' },
      data: { progress: Math.min(1, Math.max(0, progress)) },
    });
  }

  /** The run's current status without team scoping: for workers, which act on job ids only. */
  async statusOf(id: string): Promise<RunStatus | undefined> {
    return (await this.db.run.findUnique({ where: { id }, select: { status: true } }))?.status;
  }

  /** The run for a job, without team scoping (workers trust the job, which the API created). */
  async findForJob(id: string): Promise<Run | undefined> {
    const row = await this.db.run.findUnique({ where: { id } });
    return row ? toRun(row) : undefined;
  }

  /** RUNNING (or QUEUED) → a final state with an error code; false when the run was already final. */
  async finishWithoutResult(
    id: string,
    status: 'FAILED' | 'TIMED_OUT' | 'CANCELLED',
    error: { code: string; message: string } | null,
    progress: number,
    now: Date,
  ): Promise<boolean> {
    const moved = await this.db.run.updateMany({
      where: { id, status: { in: ['QUEUED', 'RUNNING'] } },
      data: { status, errorCode: error?.code ?? null, errorMessage: error?.message ?? null, progress, finishedAt: now },
    });
    return moved.count === 1;
  }

  /** Runs in flight (QUEUED or RUNNING) across teams, oldest first: the reconciler's input. */
  async listInFlight(
    limit: number,
  ): Promise<Array<{ id: string; teamId: string; status: RunStatus; startedAt: Date | null }>> {
    return this.db.run.findMany({
      where: { status: { in: ['QUEUED', 'RUNNING'] } },
      select: { id: true, teamId: true, status: true, startedAt: true },
      orderBy: { createdAt: 'asc' },
      take: limit,
    });
  }

  /** The time limit a run executes under: its own, else its team's default, else undefined (the worker's). */
  async timeLimitFor(id: string): Promise<number | undefined> {
    const run = await this.db.run.findUnique({ where: { id }, select: { timeLimitMs: true, teamId: true } });
    if (!run) return undefined;
    if (run.timeLimitMs !== null) return run.timeLimitMs;
    return (
      (await this.db.team.findUnique({ where: { id: run.teamId }, select: { runTimeLimitMs: true } }))
        ?.runTimeLimitMs ?? undefined
    );
  }

  /** RUNNING → QUEUED (the job went back to the queue); false when the run was not RUNNING. */
  async requeue(id: string): Promise<boolean> {
    const moved = await this.db.run.updateMany({ where: { id, status: 'RUNNING' }, data: { status: 'QUEUED' } });
    return moved.count === 1;
  }

  /** Runs in flight with their attempts, oldest first, created before `createdBefore` (the reconciler's input). */
  async listInFlightForReconcile(
    limit: number,
    createdBefore: Date,
  ): Promise<
    Array<{
      id: string;
      teamId: string;
      batchId: string | null;
      status: RunStatus;
      attempts: number;
      heartbeatAt: Date | null;
    }>
  > {
    return this.db.run.findMany({
      where: { status: { in: ['QUEUED', 'RUNNING'] }, createdAt: { lt: createdBefore } },
      select: { id: true, teamId: true, batchId: true, status: true, attempts: true, heartbeatAt: true },
      orderBy: { createdAt: 'asc' },
      take: limit,
    });
  }

  /**
   * Locks the batch row (SELECT … FOR UPDATE) and, if it is not final yet and `decide` returns a
   * completion for its runs, stores it — so of several workers finishing runs at once exactly one
   * completes the batch. Returns the completed batch, or undefined when nothing was written.
   */
  async completeBatchLocked(
    batchId: string,
    decide: (
      runs: readonly Run[],
      /** The runs' result summaries, read inside the same transaction (no second connection). */
      summaries: (runIds: readonly string[]) => Promise<Map<string, RunResultSummary>>,
    ) => Promise<{ status: RunStatus; comparison: unknown } | undefined>,
    now: Date,
  ): Promise<RunBatchWithRuns | undefined> {
    return this.db.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<
        Array<{ status: RunStatus }>
      >`SELECT status::text AS status FROM run_batch WHERE id = ${batchId}::uuid FOR UPDATE`;
      const current = locked[0];
      if (!current || (current.status !== 'QUEUED' && current.status !== 'RUNNING')) return undefined;
      const runs = (await tx.run.findMany({ where: { batchId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] })).map(
        toRun,
      );
      const completion = await decide(runs, (runIds) => this.batchResultSummaries(runIds, tx));
      if (!completion) return undefined;
      const row = await tx.runBatch.update({
        where: { id: batchId },
        data: {
          status: completion.status,
          comparison: completion.comparison as Prisma.InputJsonValue,
          finishedAt: now,
        },
      });
      return { ...toBatch(row), runs };
    });
  }

  /** What the batch comparison needs per run: violations (class, severity, fingerprint, bytes) and headline metrics. */
  async batchResultSummaries(
    runIds: readonly string[],
    client: Pick<Prisma.TransactionClient, 'violation' | 'allocatorMetrics'> = this.db,
  ): Promise<Map<string, RunResultSummary>> {
    const [violations, metrics] = await Promise.all([
      client.violation.findMany({
        where: { runId: { in: [...runIds] } },
        select: {
          runId: true,
          class: true,
          severity: true,
          fingerprint: true,
          bytesExposed: true,
          deviceId: true,
          dataClass: true,
          path: true,
          rule: true,
          count: true,
        },
      }),
      client.allocatorMetrics.findMany({ where: { runId: { in: [...runIds] } } }),
    ]);
    const summaries = new Map<string, RunResultSummary>(runIds.map((id) => [id, { violations: [], metrics: null }]));
    for (const v of violations)
      summaries.get(v.runId)?.violations.push({
        class: v.class,
        severity: v.severity,
        fingerprint: v.fingerprint,
        bytesExposed: v.bytesExposed,
        deviceId: v.deviceId,
        dataClass: v.dataClass,
        path: v.path,
        rule: v.rule,
        count: v.count,
      });
    for (const m of metrics) {
      const summary = summaries.get(m.runId);
      if (summary) {
        summaries.set(m.runId, {
          ...summary,
          metrics: {
            nslabs: m.nslabs,
            hiwater: m.hiwater,
            failedMaps: m.failedMaps,
            failedCoherentAllocs: m.failedCoherentAllocs,
            bouncedBytesToDevice: m.bouncedBytesToDevice,
            bouncedBytesFromDevice: m.bouncedBytesFromDevice,
          },
        });
      }
    }
    return summaries;
  }

  /** The stored comparison of a completed batch (null until it completes). */
  /** Status counts of a batch's runs. */
  async batchStatusCounts(teamId: string, batchId: string): Promise<Map<RunStatus, number>> {
    const groups = await this.db.run.groupBy({ by: ['status'], where: { teamId, batchId }, _count: { _all: true } });
    return new Map(groups.map((g) => [g.status, g._count._all]));
  }
}

function newRunData(run: NewRun): Prisma.RunUncheckedCreateInput {
  return {
    teamId: run.teamId,
    scenarioId: run.scenarioId,
    scenarioVersionId: run.scenarioVersionId,
    profile: run.profile,
    overlays: run.overlays.map((o) => ({ name: o.name, ...(o.variant ? { variant: o.variant } : {}) })),
    seed: run.seed,
    engineVersion: run.engineVersion,
    trigger: run.trigger,
    idempotencyKey: run.idempotencyKey,
    timeLimitMs: run.timeLimitMs ?? null,
    operationsCap: run.operationsCap ?? null,
    idempotencyInputHash: run.idempotencyKey === null ? null : (run.idempotencyInputHash ?? null),
  };
}

export function toRun(row: RunRow | RunSqlRow): Run {
  return {
    id: row.id,
    teamId: row.teamId,
    scenarioId: row.scenarioId,
    scenarioVersionId: row.scenarioVersionId,
    batchId: row.batchId,
    profile: row.profile,
    overlays: parseRunOverlays(row.overlays),
    seed: BigInt(row.seed),
    engineVersion: row.engineVersion,
    status: row.status,
    trigger: row.trigger,
    idempotencyKey: row.idempotencyKey,
    attempts: row.attempts,
    progress: row.progress,
    revision: row.revision,
    errorCode: row.errorCode,
    errorMessage: row.errorMessage,
    resultHash: row.resultHash,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    timeLimitMs: row.timeLimitMs,
    operationsCap: row.operationsCap,
    verdict: row.verdict as RunVerdict | null,
    summary: parseRunSummary(row.summary),
  };
}

/**
 * The run a `dmasim_run_updated` notification carries: the run table's trigger sends the run as
 * JSON under `runColumns`' names, timestamps as ISO text and the seed as a string (migrations
 * 1796408400000_run-updated-notify and 1796409600000_run-revision). Undefined when the payload is the run id alone (a run too
 * large for a notification), lacks the revision or is not such JSON.
 */
export function runOfNotification(payload: string): Run | undefined {
  if (!payload.startsWith('{')) return undefined;
  let row: Record<string, unknown>;
  try {
    row = JSON.parse(payload) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const date = (value: unknown): Date | null => (typeof value === 'string' ? new Date(value) : null);
  const createdAt = date(row['createdAt']);
  // Without a revision (a notification from before migration 1796409600000) the state cannot be
  // ordered: the listener reads the run instead.
  if (
    typeof row['id'] !== 'string' ||
    typeof row['seed'] !== 'string' ||
    typeof row['revision'] !== 'number' ||
    createdAt === null
  )
    return undefined;
  return toRun({
    ...row,
    createdAt,
    startedAt: date(row['startedAt']),
    finishedAt: date(row['finishedAt']),
  } as unknown as RunSqlRow);
}

function toBatch(row: RunBatchRow): RunBatch {
  return {
    id: row.id,
    teamId: row.teamId,
    scenarioId: row.scenarioId,
    status: row.status,
    createdAt: row.createdAt,
    finishedAt: row.finishedAt,
    comparison: row.comparison ?? null,
  };
}
