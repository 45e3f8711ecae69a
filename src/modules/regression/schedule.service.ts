import { CronExpressionParser, type CronFieldCollection } from 'cron-parser';
import { notFound } from '../../platform/app-error';
import type { Clock } from '../../platform/clock';
import type { Logger } from '../../platform/logger';
import { finalRunStatuses } from '../run/run.types';
import { type Outcome, rejected, requireRole, type UserInputError } from '../common/user-errors';
import type { Viewer } from '../team/team.types';
import type { RegressionScheduler } from './regression.queue';
import type { OverlapPolicy, Schedule, ScheduleSkipReason, SuiteBatch } from './regression.types';
import type { ScheduleRepository } from './schedule.repository';
import { queueFullCode, type SuiteService } from './suite.service';

export interface ScheduleInput {
  readonly suiteId: string;
  readonly name: string;
  readonly cron: string;
  readonly timeZone?: string | null;
  readonly overlapPolicy?: OverlapPolicy | null;
  readonly paused?: boolean | null;
}

/** The result of running a schedule: its batch, or why the firing was skipped. */
export interface Firing {
  readonly batch: SuiteBatch | null;
  readonly skipped: boolean;
  readonly skipReason: ScheduleSkipReason | null;
}

/** How often schedules may fire (SCHEDULE_MIN_INTERVAL_SECONDS). */
export interface ScheduleLimits {
  readonly minIntervalMs: number;
}

type CronFields = CronFieldCollection;

/** A system viewer acts for a team when a schedule fires (no token: the nil UUID). */
const systemTokenId = '00000000-0000-0000-0000-000000000000';

/**
 * Cron schedules of suites. The Schedule row is the source of truth; BullMQ job schedulers are
 * upserted or removed on every write and reconciled from the rows. A firing runs the suite through
 * the suite service under the schedule's overlap policy.
 */
export class ScheduleService {
  constructor(
    private readonly repo: ScheduleRepository,
    private readonly suites: SuiteService,
    private readonly scheduler: RegressionScheduler,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly limits: ScheduleLimits,
  ) {}

  async createSchedule(viewer: Viewer, input: ScheduleInput): Promise<Outcome<Schedule>> {
    requireRole(viewer, 'member');
    await this.suites.suiteOrThrow(viewer, input.suiteId);
    const timeZone = input.timeZone ?? 'UTC';
    const errors = [...cronErrors(input.cron, timeZone, this.limits.minIntervalMs)];
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(input.name))
      errors.push({ path: ['input', 'name'], message: 'use 1-100 letters, digits, . _ -', code: 'INVALID_NAME' });
    if (errors.length > 0) return { userErrors: errors };
    if ((await this.repo.listSchedules(viewer.teamId)).some((s) => s.name === input.name))
      return rejected(['input', 'name'], `a schedule named ${input.name} exists`, 'NAME_TAKEN');
    const schedule = await this.repo.insertSchedule({
      teamId: viewer.teamId,
      suiteId: input.suiteId,
      name: input.name,
      cron: input.cron,
      timeZone,
      paused: input.paused ?? false,
      overlapPolicy: input.overlapPolicy ?? 'SKIP',
    });
    await this.syncScheduler(schedule);
    return schedule;
  }

  async updateSchedule(
    viewer: Viewer,
    id: string,
    input: {
      cron?: string | null;
      timeZone?: string | null;
      overlapPolicy?: OverlapPolicy | null;
      paused?: boolean | null;
    },
  ): Promise<Outcome<Schedule>> {
    requireRole(viewer, 'member');
    const before = await this.scheduleOrThrow(viewer, id);
    const cron = input.cron ?? before.cron;
    const timeZone = input.timeZone ?? before.timeZone;
    const errors = cronErrors(cron, timeZone, this.limits.minIntervalMs);
    if (errors.length > 0) return { userErrors: errors };
    const after = await this.repo.updateSchedule(
      viewer.teamId,
      id,
      {
        cron,
        timeZone,
        overlapPolicy: input.overlapPolicy ?? before.overlapPolicy,
        paused: input.paused ?? before.paused,
      },
      this.clock.now(),
    );
    if (!after) throw notFound('schedule', id);
    await this.syncScheduler(after);
    return after;
  }

  async deleteSchedule(viewer: Viewer, id: string): Promise<boolean> {
    requireRole(viewer, 'member');
    await this.scheduleOrThrow(viewer, id);
    await this.scheduler.remove(id);
    return this.repo.deleteSchedule(viewer.teamId, id);
  }

  schedule(viewer: Viewer, id: string): Promise<Schedule | undefined> {
    return this.repo.findSchedule(viewer.teamId, id);
  }

  schedules(viewer: Viewer): Promise<Schedule[]> {
    return this.repo.listSchedules(viewer.teamId);
  }

  /** Runs a schedule's suite now, under the same overlap policy and queue cap as a cron firing. */
  async runScheduleNow(viewer: Viewer, id: string): Promise<Outcome<Firing>> {
    requireRole(viewer, 'member');
    const schedule = await this.scheduleOrThrow(viewer, id);
    return this.fire(schedule, viewer, 'manual');
  }

  /**
   * The scheduler job. Paused schedules do nothing; a firing is skipped, with its reason recorded on
   * the schedule, when it comes too soon after the last one (MIN_INTERVAL: a schedule stored before
   * the minimum existed, or the minimum was raised), while the previous batch runs (OVERLAP), or when
   * the team has too many queued runs (QUEUE_FULL).
   */
  async fireSchedule(
    scheduleId: string,
  ): Promise<{ batchId: string | null; skipped: boolean; skipReason: ScheduleSkipReason | null }> {
    const schedule = await this.repo.findScheduleForJob(scheduleId);
    if (!schedule || schedule.paused) return { batchId: null, skipped: true, skipReason: null };
    const result = await this.fire(
      schedule,
      { teamId: schedule.teamId, tokenId: systemTokenId, role: 'member' },
      'cron',
    );
    if ('userErrors' in result) {
      this.logger.warn({ scheduleId, userErrors: result.userErrors }, 'schedule could not submit its suite');
      return { batchId: null, skipped: true, skipReason: null };
    }
    return { batchId: result.batch?.id ?? null, skipped: result.skipped, skipReason: result.skipReason };
  }

  private async fire(schedule: Schedule, viewer: Viewer, trigger: 'cron' | 'manual'): Promise<Outcome<Firing>> {
    const now = this.clock.now();
    const skip = async (reason: ScheduleSkipReason): Promise<Firing> => {
      await this.repo.markScheduleSkipped(schedule.id, now, reason);
      this.logger.info({ scheduleId: schedule.id, reason }, 'schedule firing skipped');
      return { batch: null, skipped: true, skipReason: reason };
    };
    // A cron firing a little early (scheduler jitter) still counts: only 90 % of the minimum is enforced here.
    if (
      trigger === 'cron' &&
      schedule.lastFiredAt &&
      now.getTime() - schedule.lastFiredAt.getTime() < this.limits.minIntervalMs * 0.9
    )
      return skip('MIN_INTERVAL');
    if (schedule.overlapPolicy === 'SKIP') {
      const previous = (await this.suites.suiteBatches(viewer, { scheduleId: schedule.id }, 1))[0];
      const live = previous ? await this.suites.suiteBatch(viewer, previous.id) : undefined;
      if (live && !finalRunStatuses.has(live.status)) return skip('OVERLAP');
    }
    const batch = await this.suites.runSuite(viewer, {
      suiteId: schedule.suiteId,
      trigger: 'SCHEDULE',
      scheduleId: schedule.id,
    });
    if ('userErrors' in batch)
      return batch.userErrors.some((e) => e.code === queueFullCode) ? skip('QUEUE_FULL') : batch;
    await this.repo.markScheduleFired(schedule.id, now);
    return { batch, skipped: false, skipReason: null };
  }

  /** Makes Redis match PostgreSQL: a scheduler per unpaused schedule, none for paused or deleted ones. */
  async reconcileSchedules(): Promise<{ upserted: number; removed: number }> {
    const schedules = await this.repo.listAllSchedules();
    const active = schedules.filter((s) => !s.paused);
    for (const schedule of active) await this.scheduler.upsert(schedule);
    const wanted = new Set(active.map((s) => s.id));
    const stale = (await this.scheduler.list()).filter((id) => !wanted.has(id));
    for (const id of stale) await this.scheduler.remove(id);
    return { upserted: active.length, removed: stale.length };
  }

  private async syncScheduler(schedule: Schedule): Promise<void> {
    if (schedule.paused) await this.scheduler.remove(schedule.id);
    else await this.scheduler.upsert(schedule);
  }

  private async scheduleOrThrow(viewer: Viewer, id: string): Promise<Schedule> {
    const schedule = await this.repo.findSchedule(viewer.teamId, id);
    if (!schedule) throw notFound('schedule', id);
    return schedule;
  }
}

function cronErrors(cron: string, timeZone: string, minIntervalMs: number): UserInputError[] {
  let fields: CronFields;
  try {
    fields = CronExpressionParser.parse(cron, { tz: timeZone }).fields;
    Intl.DateTimeFormat('en', { timeZone });
  } catch (error: unknown) {
    return [
      {
        path: ['input', 'cron'],
        message: `invalid cron expression or time zone: ${error instanceof Error ? error.message : String(error)}`,
        code: 'INVALID_CRON',
      },
    ];
  }
  const gapSeconds = shortestGapSeconds(fields);
  if (gapSeconds * 1000 >= minIntervalMs) return [];
  return [
    {
      path: ['input', 'cron'],
      message: `fires ${formatSeconds(gapSeconds)} apart at its most frequent; the minimum interval between firings is ${formatSeconds(minIntervalMs / 1000)}`,
      code: 'SCHEDULE_TOO_FREQUENT',
    },
  ];
}

/**
 * The shortest time between two firings of a cron expression, in seconds: between consecutive
 * times of one day (hours × minutes × seconds, all sorted), and across midnight from the day's last
 * time to its first (counted as if firing days could follow each other, which errs on the strict
 * side). Day, month and weekday fields only spread firings further apart; daylight-saving jumps are
 * not counted.
 */
export function shortestGapSeconds(fields: Pick<CronFields, 'hour' | 'minute' | 'second'>): number {
  const times = fields.hour.values.flatMap((h) =>
    fields.minute.values.flatMap((m) => fields.second.values.map((s) => Number(h) * 3600 + Number(m) * 60 + Number(s))),
  );
  const first = times[0] ?? 0;
  let shortest = 86_400 - (times.at(-1) ?? 0) + first;
  for (let i = 1; i < times.length; i++) shortest = Math.min(shortest, (times[i] ?? 0) - (times[i - 1] ?? 0));
  return shortest;
}

function formatSeconds(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
}
