import {
  type EngineReport,
  type KernelEntry,
  parseKernelEntry,
  renderReviewMarkdown,
  type ReviewProbe,
  reviewProbeKernels,
  reviewScenario,
  type ReviewSkipped,
  reviewTotals,
  writtenOverlay,
} from '../../engine/index';
import type { Clock } from '../../platform/clock';
import { applyOverrides } from '../run/run-spec';
import { batchStatus, type RunService } from '../run/run.service';
import { finalRunStatuses, type OverlayRef, type Run, type RunStatus } from '../run/run.types';
import { specHash, type ScenarioService } from '../scenario/scenario.service';
import type { ScenarioVersion, SpecValidator } from '../scenario/scenario.types';
import { type Outcome, rejected, requireRole, type UserInputError } from '../common/user-errors';
import type { Viewer } from '../team/team.types';
import type { ReviewRepository } from './review.repository';
import type {
  PatchReview,
  PatchReviewView,
  ReviewPlanItem,
  ReviewResult,
  ReviewSource,
  ScenarioReviewRecord,
} from './review.types';

export interface ReviewPatchInput {
  readonly scenarioIds?: readonly string[] | null;
  readonly suiteId?: string | null;
  readonly examples?: boolean | null;
  readonly base: string;
  readonly patched: string;
  readonly operations?: number | null;
}

/** What the review reads of runs: statuses for progress, and the queued count for the team's cap. */
export interface ReviewRunReader {
  runStatuses(teamId: string, runIds: readonly string[]): Promise<RunStatus[]>;
  queuedRunCount(teamId: string): Promise<number>;
}

/** A stored run's engine report (the result module's ResultService), or null when it has none. */
export interface ReviewReportReader {
  report(viewer: Viewer, runId: string): Promise<unknown>;
}

/** A suite's scenarios (the regression module's SuiteService); NOT_FOUND for another team's suite. */
export interface ReviewSuiteReader {
  suiteOrThrow(viewer: Viewer, id: string): Promise<{ readonly scenarioIds: readonly string[] }>;
}

/** The bundled example specs (`examples/`), as file name and text. */
export type ExampleSource = () => Promise<ReadonlyArray<{ readonly file: string; readonly text: string }>>;

const maxScenarios = 50;
/** The engine's own cap on a workload (docs/engine-contract.md: 100 M operations). */
const maxOperations = 100_000_000;

/** A scenario version to review and how it reads in the review. */
interface Target {
  readonly version: ScenarioVersion;
  readonly name: string;
}

/** The matrix columns of one scenario: base, patched, then one probe per hunk. */
interface Columns {
  readonly target: Target;
  readonly entries: ReadonlyArray<{ profile: string; overlays: OverlayRef[] }>;
  readonly probeHunks: readonly string[];
}

const overlayRefs = (kernel: { overlays: KernelEntry['overlays'] }): OverlayRef[] =>
  kernel.overlays.map(writtenOverlay);

/**
 * The reviewer's answer for a kernel change over a set of scenarios (GraphQL `reviewPatch` and the
 * dashboard's Review page), the same answer `dmasim review` gives locally. Submitting queues one
 * matrix batch per scenario through the run service (base, patched, one probe per hunk the patched
 * overlays leave off); the engine runs in the workers. Reading assembles the review with the
 * engine's review functions from the stored reports once every run has ended, and keeps it.
 */
export class ReviewService {
  constructor(
    private readonly repo: ReviewRepository,
    private readonly runs: RunService,
    private readonly scenarios: ScenarioService,
    private readonly suites: ReviewSuiteReader,
    private readonly reports: ReviewReportReader,
    private readonly runReader: ReviewRunReader,
    private readonly specs: SpecValidator,
    private readonly examples: ExampleSource,
    private readonly clock: Clock,
    private readonly limits: { readonly maxQueuedRuns: number },
  ) {}

  async reviewPatch(viewer: Viewer, input: ReviewPatchInput): Promise<Outcome<PatchReview>> {
    requireRole(viewer, 'member');
    const kernels: KernelEntry[] = [];
    for (const field of ['base', 'patched'] as const) {
      const parsed = parseKernelEntry(input[field].trim());
      if (!parsed.ok)
        return rejected(['input', field], `${field} '${input[field]}': ${parsed.problem}`, 'BAD_USER_INPUT');
      kernels.push(parsed.kernel);
    }
    const [base, patched] = kernels as [KernelEntry, KernelEntry];
    const operationsCap = input.operations ?? null;
    if (
      operationsCap !== null &&
      (!Number.isInteger(operationsCap) || operationsCap < 1 || operationsCap > maxOperations)
    )
      return rejected(['input', 'operations'], `must be an integer from 1 to ${maxOperations}`, 'INVALID_OPERATIONS');

    const chosen = [input.scenarioIds != null, input.suiteId != null, input.examples === true].filter(Boolean).length;
    if (chosen !== 1)
      return rejected(['input'], 'give exactly one of scenarioIds, suiteId and examples: true', 'INVALID_TARGET');
    const source: ReviewSource = input.suiteId
      ? { kind: 'suite', suiteId: input.suiteId }
      : input.examples
        ? { kind: 'examples' }
        : { kind: 'scenarios' };
    const skipped: ReviewSkipped[] = [];
    const targets =
      source.kind === 'examples'
        ? await this.exampleTargets(viewer, skipped)
        : await this.scenarioTargets(
            viewer,
            source.kind === 'suite'
              ? (await this.suites.suiteOrThrow(viewer, source.suiteId)).scenarioIds
              : (input.scenarioIds ?? []),
          );
    if ('userErrors' in targets) return targets;

    // Every column is checked before anything is queued, so a kernel that does not apply queues nothing.
    const columns: Columns[] = [];
    const userErrors: UserInputError[] = [];
    for (const target of targets) {
      const problems = (['base', 'patched'] as const).flatMap((field) => {
        const kernel = field === 'base' ? base : patched;
        const problem = this.kernelProblem(target.version, kernel.profile, overlayRefs(kernel));
        return problem === null ? [] : [{ field, problem }];
      });
      if (problems.length > 0) {
        // Like `dmasim review --examples`: an example the kernels do not apply to is listed as skipped.
        if (source.kind === 'examples')
          skipped.push({ scenario: target.name, reason: problems.map((p) => `${p.field}: ${p.problem}`).join('; ') });
        else
          userErrors.push(
            ...problems.map((p) => ({
              path: ['input', p.field],
              message: `${target.name}: ${p.problem}`,
              code: 'INVALID_OVERRIDE',
            })),
          );
        continue;
      }
      // A probe kernel the scenario does not accept is left out, as the CLI does.
      const probes = reviewProbeKernels(patched)
        .map((p) => ({ hunk: p.hunk, profile: patched.profile, overlays: overlayRefs(p) }))
        .filter((p) => this.kernelProblem(target.version, p.profile, p.overlays) === null);
      columns.push({
        target,
        entries: [
          { profile: base.profile, overlays: overlayRefs(base) },
          { profile: patched.profile, overlays: overlayRefs(patched) },
          ...probes.map((p) => ({ profile: p.profile, overlays: p.overlays })),
        ],
        probeHunks: probes.map((p) => p.hunk),
      });
    }
    if (userErrors.length > 0) return { userErrors };
    if (columns.length === 0)
      return rejected(
        ['input'],
        `no scenario to review: ${skipped.map((s) => `${s.scenario} (${s.reason})`).join('; ') || 'the set is empty'}`,
        'NOTHING_TO_REVIEW',
      );

    const adding = columns.reduce((n, c) => n + c.entries.length, 0);
    const queued = await this.runReader.queuedRunCount(viewer.teamId);
    if (queued + adding > this.limits.maxQueuedRuns)
      return rejected(
        ['input'],
        `the team has ${queued} queued runs and this review adds ${adding}; at most ${this.limits.maxQueuedRuns} runs may wait in the queue per team`,
        'QUEUE_FULL',
      );

    const plan: ReviewPlanItem[] = [];
    for (const column of columns) {
      const submitted = await this.runs.submitMatrix(viewer, {
        versionId: column.target.version.id,
        entries: column.entries,
        operationsCap,
      });
      // Checked above; only a concurrent submission filling the queue meanwhile gets here.
      if ('userErrors' in submitted) return submitted;
      const [baseRun, patchedRun, ...probeRuns] = submitted.batch.runs as [Run, Run, ...Run[]];
      plan.push({
        scenarioId: column.target.version.scenarioId,
        scenarioName: column.target.name,
        runBatchId: submitted.batch.id,
        baseRunId: baseRun.id,
        patchedRunId: patchedRun.id,
        probes: probeRuns.map((run, index) => ({ hunk: column.probeHunks[index] ?? '', runId: run.id })),
      });
    }
    return this.repo.insert({
      teamId: viewer.teamId,
      base: base.label,
      patched: patched.label,
      operationsCap,
      source,
      plan,
      skipped,
    });
  }

  /** A review of the caller's team with its live status; the assembled review once every run has ended. */
  async review(viewer: Viewer, id: string): Promise<PatchReviewView | undefined> {
    const review = await this.repo.find(viewer.teamId, id);
    if (!review) return undefined;
    const runIds = review.plan.flatMap((p) => [p.baseRunId, p.patchedRunId, ...p.probes.map((x) => x.runId)]);
    if (review.result !== null)
      return { ...review, status: review.result.status, progress: { total: runIds.length, finished: runIds.length } };
    const statuses = await this.runReader.runStatuses(viewer.teamId, runIds);
    const finished = statuses.filter((s) => finalRunStatuses.has(s)).length;
    // Runs deleted with their scenario count as ended: the review then lists that scenario as skipped.
    if (finished < statuses.length)
      return { ...review, status: batchStatus(statuses), progress: { total: runIds.length, finished } };
    const result = await this.assemble(viewer, review);
    await this.repo.storeResult(viewer.teamId, review.id, result, this.clock.now());
    return {
      ...review,
      result,
      finishedAt: review.finishedAt ?? this.clock.now(),
      status: result.status,
      progress: { total: runIds.length, finished: runIds.length },
    };
  }

  /** The engine's review of every planned scenario from the stored reports. */
  private async assemble(viewer: Viewer, review: PatchReview): Promise<ReviewResult> {
    const scenarios: ScenarioReviewRecord[] = [];
    const skipped: ReviewSkipped[] = [...review.skipped];
    let allSucceeded = true;
    for (const item of review.plan) {
      const batch = await this.runs.batch(viewer, item.runBatchId);
      const byId = new Map((batch?.runs ?? []).map((r) => [r.id, r]));
      allSucceeded &&= batch !== undefined && batch.runs.every((r) => r.status === 'SUCCEEDED');
      const report = async (runId: string): Promise<EngineReport | null> =>
        byId.get(runId)?.status === 'SUCCEEDED'
          ? ((await this.reports.report(viewer, runId)) as EngineReport | null)
          : null;
      const [baseReport, patchedReport] = [await report(item.baseRunId), await report(item.patchedRunId)];
      if (baseReport === null || patchedReport === null) {
        const failed = (['base', 'patched'] as const).flatMap((side) => {
          const run = byId.get(side === 'base' ? item.baseRunId : item.patchedRunId);
          if (run?.status === 'SUCCEEDED') return [];
          return [`${side} run ${run ? `${run.status}${run.errorCode ? ` (${run.errorCode})` : ''}` : 'deleted'}`];
        });
        skipped.push({ scenario: item.scenarioName, reason: failed.join(', ') || 'no stored report' });
        continue;
      }
      const probes: ReviewProbe[] = [];
      for (const probe of item.probes) {
        const probeReport = await report(probe.runId);
        if (probeReport !== null) probes.push({ hunk: probe.hunk, report: probeReport });
      }
      scenarios.push({
        ...reviewScenario(item.scenarioName, baseReport, patchedReport, probes),
        scenarioId: item.scenarioId,
        runBatchId: item.runBatchId,
      });
    }
    const total = reviewTotals(scenarios);
    return {
      status: allSucceeded ? 'SUCCEEDED' : 'FAILED',
      scenarios,
      skipped,
      total,
      markdown: renderReviewMarkdown({ base: review.base, patched: review.patched, scenarios, skipped, total }),
    };
  }

  /** Null when the scenario version accepts the kernel; else the first problem. */
  private kernelProblem(version: ScenarioVersion, profile: string, overlays: OverlayRef[]): string | null {
    const checked = this.specs.validate(applyOverrides(version.spec, { profile, overlays }));
    return checked.ok ? null : checked.errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');
  }

  private async scenarioTargets(
    viewer: Viewer,
    scenarioIds: readonly string[],
  ): Promise<Target[] | { userErrors: UserInputError[] }> {
    const ids = [...new Set(scenarioIds)];
    if (ids.length < 1 || ids.length > maxScenarios)
      return rejected(['input', 'scenarioIds'], `give 1-${maxScenarios} scenarios`, 'INVALID_TARGET');
    const targets: Target[] = [];
    for (const id of ids) {
      // NOT_FOUND (an error, not a user error) for a missing or another team's scenario.
      const scenario = await this.scenarios.getOrThrow(viewer, id);
      if (scenario.archivedAt !== null)
        return rejected(['input', 'scenarioIds'], `scenario ${scenario.name} is archived`, 'SCENARIO_ARCHIVED');
      targets.push({ version: await this.scenarios.latestVersion(viewer, id), name: scenario.name });
    }
    return targets;
  }

  /**
   * The bundled examples as the team's scenarios: an example the team does not have yet is added
   * (tagged `example`, as the demo team's are); one whose name the team uses for another spec is
   * skipped rather than changed.
   */
  private async exampleTargets(viewer: Viewer, skipped: ReviewSkipped[]): Promise<Target[]> {
    const targets: Target[] = [];
    for (const example of await this.examples()) {
      const checked = this.specs.parseText(example.text);
      if (!checked.ok) {
        skipped.push({ scenario: example.file, reason: 'the bundled example does not validate' });
        continue;
      }
      const name = typeof checked.spec.name === 'string' ? checked.spec.name : example.file;
      const page = await this.scenarios.list(viewer, { nameContains: name, includeArchived: true }, 100, null);
      const existing = page.items.find((s) => s.name === name);
      if (existing) {
        const latest = await this.scenarios.latestVersion(viewer, existing.id);
        if (existing.archivedAt !== null)
          skipped.push({ scenario: name, reason: `the team's scenario ${name} is archived` });
        else if (latest.specHash !== specHash(checked.spec))
          skipped.push({ scenario: name, reason: `the team's scenario ${name} differs from the bundled example` });
        else targets.push({ version: latest, name });
        continue;
      }
      const created = await this.scenarios.create(viewer, { spec: example.text, tags: ['example'] });
      if ('userErrors' in created || created.newVersion === null)
        skipped.push({ scenario: name, reason: 'could not add the example to the team' });
      else targets.push({ version: created.newVersion, name });
    }
    return targets;
  }
}
