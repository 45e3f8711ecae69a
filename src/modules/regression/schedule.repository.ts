import type { Database } from '../../platform/db';
import type { Schedule as ScheduleRow } from '../../generated/prisma/client';
import { type OverlapPolicy, type Schedule, type ScheduleSkipReason, scheduleSkipReasons } from './regression.types';

export type NewSchedule = Pick<
  Schedule,
  'teamId' | 'suiteId' | 'name' | 'cron' | 'timeZone' | 'paused' | 'overlapPolicy'
>;

/** All SQL of schedules (the schedule table). Team-scoped except the worker entry points (*ForJob, listAllSchedules, markScheduleFired). */
export class ScheduleRepository {
  constructor(private readonly db: Database) {}

  async insertSchedule(schedule: NewSchedule): Promise<Schedule> {
    return toSchedule(await this.db.schedule.create({ data: schedule }));
  }

  async updateSchedule(
    teamId: string,
    id: string,
    data: Partial<Pick<Schedule, 'cron' | 'timeZone' | 'paused' | 'overlapPolicy'>>,
    now: Date,
  ): Promise<Schedule | undefined> {
    const moved = await this.db.schedule.updateMany({ where: { id, teamId }, data: { ...data, updatedAt: now } });
    return moved.count === 1 ? this.findSchedule(teamId, id) : undefined;
  }

  async deleteSchedule(teamId: string, id: string): Promise<boolean> {
    return (await this.db.schedule.deleteMany({ where: { id, teamId } })).count === 1;
  }

  async findSchedule(teamId: string, id: string): Promise<Schedule | undefined> {
    const row = await this.db.schedule.findFirst({ where: { id, teamId } });
    return row ? toSchedule(row) : undefined;
  }

  /** A schedule by id alone: the scheduler job carries only the id. */
  async findScheduleForJob(id: string): Promise<Schedule | undefined> {
    const row = await this.db.schedule.findUnique({ where: { id } });
    return row ? toSchedule(row) : undefined;
  }

  async listSchedules(teamId: string): Promise<Schedule[]> {
    return (await this.db.schedule.findMany({ where: { teamId }, orderBy: { name: 'asc' } })).map(toSchedule);
  }

  /** Every schedule of every team: the reconciler's source of truth. */
  async listAllSchedules(): Promise<Schedule[]> {
    return (await this.db.schedule.findMany({ orderBy: { createdAt: 'asc' } })).map(toSchedule);
  }

  async markScheduleFired(id: string, now: Date): Promise<void> {
    await this.db.schedule.updateMany({ where: { id }, data: { lastFiredAt: now } });
  }

  async markScheduleSkipped(id: string, now: Date, reason: ScheduleSkipReason): Promise<void> {
    await this.db.schedule.updateMany({ where: { id }, data: { lastSkippedAt: now, lastSkipReason: reason } });
  }
}

function toSchedule(row: ScheduleRow): Schedule {
  return {
    id: row.id,
    teamId: row.teamId,
    suiteId: row.suiteId,
    name: row.name,
    cron: row.cron,
    timeZone: row.timeZone,
    paused: row.paused,
    overlapPolicy: row.overlapPolicy as OverlapPolicy,
    lastFiredAt: row.lastFiredAt,
    lastSkippedAt: row.lastSkippedAt,
    lastSkipReason: parseSkipReason(row.lastSkipReason),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function parseSkipReason(value: string | null): ScheduleSkipReason | null {
  return scheduleSkipReasons.find((reason) => reason === value) ?? null;
}
