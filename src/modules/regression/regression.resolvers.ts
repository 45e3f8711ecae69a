import type { Resolvers, WebhookEvent as GqlWebhookEvent } from '../../api/generated/resolvers-types';
import { AppError, notFound } from '../../platform/app-error';
import { orNotFound, type Outcome } from '../common/user-errors';
import type { SuiteInput } from './suite.service';
import type { WebhookEvent } from './regression.types';
import { verdictEnumsOf } from '../run/run.types';

const eventToDomain: Record<GqlWebhookEvent, WebhookEvent> = {
  BATCH_COMPLETED: 'batch.completed',
  REGRESSION: 'regression',
};
const eventToGraphql: Record<WebhookEvent, GqlWebhookEvent> = {
  'batch.completed': 'BATCH_COMPLETED',
  regression: 'REGRESSION',
};

function rejectedOr<T, R>(
  result: Outcome<T>,
  ok: (value: T) => R,
): R | { __typename: 'InputRejected'; userErrors: Array<{ path: string[]; message: string; code: string }> } {
  if (typeof result === 'object' && result !== null && 'userErrors' in result)
    return { __typename: 'InputRejected', userErrors: result.userErrors.map((e) => ({ ...e, path: [...e.path] })) };
  return ok(result as T);
}

function suiteInput(input: {
  name: string;
  description?: string | null;
  scenarioIds: string[];
  entries: Array<{
    name?: string | null;
    profile: string;
    overlays?: Array<{ name: string; variant?: string | null }> | null;
  }>;
  seed?: bigint | null;
  baselinePolicy?: SuiteInput['baselinePolicy'];
  baselineBatchId?: string | null;
  baselineTag?: string | null;
  thresholds?: SuiteInput['thresholds'];
}): SuiteInput {
  return input;
}

/** Regression runs: parse, call one service (suites, schedules, replays, exports or webhooks), map. */
export const regressionResolvers: Resolvers = {
  Query: {
    suite: async (_p, { id, name }, { viewer, services }) => {
      if (Boolean(id) === Boolean(name)) throw new AppError('BAD_USER_INPUT', 'give exactly one of id and name');
      return orNotFound(
        id ? await services.suites.suite(viewer, id) : await services.suites.suiteByName(viewer, name ?? ''),
        'suite',
        id ?? name ?? '',
      );
    },
    suites: (_p, _a, { viewer, services }) => services.suites.suites(viewer),
    suiteBatch: async (_p, { id }, { viewer, services }) =>
      orNotFound(await services.suites.suiteBatch(viewer, id), 'suite batch', id),
    comparison: async (_p, { batchId }, { viewer, services }) =>
      (await services.suites.comparisonOfBatch(viewer, batchId)) ?? null,
    schedule: async (_p, { id }, { viewer, services }) =>
      orNotFound(await services.schedules.schedule(viewer, id), 'schedule', id),
    schedules: (_p, _a, { viewer, services }) => services.schedules.schedules(viewer),
    runReplays: (_p, { onlyDefects, first }, { viewer, services }) =>
      services.replays.replays(viewer, onlyDefects ?? false, first),
    webhooks: (_p, _a, { viewer, services }) => services.webhooks.webhooks(viewer),
  },
  Mutation: {
    createSuite: async (_p, { input }, { viewer, services }) =>
      rejectedOr(await services.suites.createSuite(viewer, suiteInput(input)), (suite) => ({
        __typename: 'SuiteSaved' as const,
        suite,
      })),
    updateSuite: async (_p, { id, input }, { viewer, services }) =>
      rejectedOr(await services.suites.updateSuite(viewer, id, suiteInput(input)), (suite) => ({
        __typename: 'SuiteSaved' as const,
        suite,
      })),
    runSuite: async (_p, { input }, { viewer, services }) =>
      rejectedOr(
        await services.suites.runSuiteByReference(viewer, {
          suiteId: input.suiteId ?? null,
          suiteName: input.suiteName ?? null,
          trigger: input.trigger ?? null,
          tags: input.tags ?? null,
        }),
        (batch) => ({ __typename: 'SuiteBatchSubmitted' as const, batch }),
      ),
    acceptBaseline: async (_p, { batchId, pin }, { viewer, services }) =>
      rejectedOr(await services.suites.acceptBaseline(viewer, batchId, pin ?? false), (batch) => ({
        __typename: 'BaselineAccepted' as const,
        batch,
      })),
    tagSuiteBatch: (_p, { batchId, tags }, { viewer, services }) => services.suites.tagBatch(viewer, batchId, tags),
    createSchedule: async (_p, { input }, { viewer, services }) =>
      rejectedOr(await services.schedules.createSchedule(viewer, input), (schedule) => ({
        __typename: 'ScheduleSaved' as const,
        schedule,
      })),
    updateSchedule: async (_p, { id, input }, { viewer, services }) =>
      rejectedOr(await services.schedules.updateSchedule(viewer, id, input), (schedule) => ({
        __typename: 'ScheduleSaved' as const,
        schedule,
      })),
    pauseSchedule: async (_p, { id }, { viewer, services }) =>
      rejectedOr(await services.schedules.updateSchedule(viewer, id, { paused: true }), (schedule) => ({
        __typename: 'ScheduleSaved' as const,
        schedule,
      })),
    resumeSchedule: async (_p, { id }, { viewer, services }) =>
      rejectedOr(await services.schedules.updateSchedule(viewer, id, { paused: false }), (schedule) => ({
        __typename: 'ScheduleSaved' as const,
        schedule,
      })),
    deleteSchedule: (_p, { id }, { viewer, services }) => services.schedules.deleteSchedule(viewer, id),
    runScheduleNow: async (_p, { id }, { viewer, services }) =>
      rejectedOr(await services.schedules.runScheduleNow(viewer, id), (r) => ({
        __typename: 'ScheduleRan' as const,
        batch: r.batch,
        skipped: r.skipped,
        skipReason: r.skipReason,
      })),
    replayRun: async (_p, { runId }, { viewer, services }) =>
      rejectedOr(await services.replays.replayRun(viewer, runId), (replay) => ({
        __typename: 'RunReplayed' as const,
        replay,
      })),
    createWebhook: async (_p, { input }, { viewer, services }) =>
      rejectedOr(
        await services.webhooks.createWebhook(viewer, {
          ...input,
          events: input.events.map((e) => eventToDomain[e]),
        }),
        (r) => ({ __typename: 'WebhookCreated' as const, webhook: r.webhook, secret: r.secret }),
      ),
    deleteWebhook: (_p, { id }, { viewer, services }) => services.webhooks.deleteWebhook(viewer, id),
  },
  Suite: {
    scenarios: async (suite, _a, { viewer, services }) =>
      Promise.all(suite.scenarioIds.map((id) => services.scenarios.getOrThrow(viewer, id))),
    entries: (suite) => [...suite.entries],
    thresholds: (suite) => [...suite.thresholds],
    batches: (suite, { first }, { viewer, services }) =>
      services.suites.suiteBatches(viewer, { suiteId: suite.id }, first),
  },
  SuiteEntry: {
    overlays: (entry) => entry.overlays.map((o) => ({ name: o.name, variant: o.variant ?? null })),
  },
  MetricThreshold: {
    maxIncrease: (t) => t.maxIncrease ?? null,
    maxIncreasePercent: (t) => t.maxIncreasePercent ?? null,
    max: (t) => t.max ?? null,
  },
  SuiteBatch: {
    suite: async (batch, _a, { viewer, services }) => {
      const suite = await services.suites.suite(viewer, batch.suiteId);
      if (!suite) throw notFound('suite', batch.suiteId);
      return suite;
    },
    runsFinished: async (batch, _a, { viewer, services }) =>
      (await services.suites.batchProgress(viewer, batch.id)).finished,
    runsTotal: async (batch, _a, { viewer, services }) => (await services.suites.batchProgress(viewer, batch.id)).total,
    runBatchIds: (batch) => [...batch.runBatchIds],
    tags: (batch) => [...batch.tags],
    comparison: async (batch, _a, { viewer, services }) => (await services.suites.comparison(viewer, batch.id)) ?? null,
  },
  Comparison: {
    counts: (c) => c.detail.counts,
    entries: (c) => [...c.detail.entries],
    export: async (c, { format }, { viewer, services }) =>
      (await services.exports.exportBatch(viewer, c.batchId, format)).body,
  },
  EntryComparison: {
    verdictLevels: (e) => verdictEnumsOf(e.levels),
    baselineVerdictLevels: (e) => (e.baselineLevels === null ? null : verdictEnumsOf(e.baselineLevels)),
    reasons: (e) => [...e.reasons],
    findings: (e) => [...e.findings],
    metrics: (e) => [...e.metrics],
  },
  FindingDiff: {
    count: (f) => BigInt(f.count),
    bytesExposed: (f) => BigInt(f.bytesExposed),
    baselineCount: (f) => (f.baselineCount === null ? null : BigInt(f.baselineCount)),
    baselineBytesExposed: (f) => (f.baselineBytesExposed === null ? null : BigInt(f.baselineBytesExposed)),
    waiver: (f) =>
      f.waiver
        ? {
            reason: f.waiver.reason,
            owner: f.waiver.owner,
            expiresAt: f.waiver.expiresAt ? new Date(f.waiver.expiresAt) : null,
          }
        : null,
  },
  Schedule: {
    suite: async (schedule, _a, { viewer, services }) => {
      const suite = await services.suites.suite(viewer, schedule.suiteId);
      if (!suite) throw notFound('suite', schedule.suiteId);
      return suite;
    },
    history: (schedule, { first }, { viewer, services }) =>
      services.suites.suiteBatches(viewer, { scheduleId: schedule.id }, first),
  },
  Webhook: {
    events: (w) => w.events.map((e) => eventToGraphql[e]),
    suiteIds: (w) => [...w.suiteIds],
    deliveries: (w, { first }, { viewer, services }) => services.webhooks.deliveries(viewer, w.id, first),
  },
  WebhookDelivery: {
    event: (d) => eventToGraphql[d.event],
  },
};
