import type { DashboardService } from '../modules/dashboard/dashboard.service';
import type { ExportService } from '../modules/regression/export.service';
import type { ReplayService } from '../modules/regression/replay.service';
import type { ScheduleService } from '../modules/regression/schedule.service';
import type { SuiteService } from '../modules/regression/suite.service';
import type { WebhookService } from '../modules/regression/webhook.service';
import type { ResultService } from '../modules/result/result.service';
import type { ReviewService } from '../modules/review/review.service';
import type { RunService } from '../modules/run/run.service';
import type { RunUpdates } from '../modules/run/run.updates';
import type { ScenarioService } from '../modules/scenario/scenario.service';
import type { TeamService } from '../modules/team/team.service';
import type { TraceService } from '../modules/trace/trace.service';
import type { TriageService } from '../modules/triage/triage.service';

/** The feature services the API's transports use; built by src/main/composition.ts. */
export interface Services {
  readonly teams: TeamService;
  readonly scenarios: ScenarioService;
  readonly runs: RunService;
  /** Live run and batch state for subscriptions. */
  readonly runUpdates: RunUpdates;
  readonly results: ResultService;
  readonly triage: TriageService;
  readonly dashboard: DashboardService;
  readonly suites: SuiteService;
  readonly schedules: ScheduleService;
  readonly webhooks: WebhookService;
  readonly replays: ReplayService;
  readonly exports: ExportService;
  /** Patch reviews (reviewPatch, patchReview). */
  readonly reviews: ReviewService;
  /** Trace import and pool sizing (importTrace, advise). */
  readonly traces: TraceService;
}
