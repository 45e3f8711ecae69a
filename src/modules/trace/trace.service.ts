import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  advisePools,
  type DataRule,
  type DeviceMapping,
  importedSpecFrame,
  importHeaderYaml,
  importTraceText,
  kernelProfileProblem,
  opYamlLine,
  parseDataRules,
  parseDeviceMap,
  platformIds,
  type PoolAdvice,
  type ProfileAdvice,
  specFrameYaml,
  type TraceImportSummary,
  validateScenario,
} from '../../engine/index';
import { requireRole, type UserInputError } from '../common/user-errors';
import type { Viewer } from '../team/team.types';
import { type ScenarioService, specUserErrors } from '../scenario/scenario.service';
import type { Scenario, ScenarioVersion } from '../scenario/scenario.types';

/** What importTrace is given: the trace text, the device map and data rules, and what the trace cannot say. */
export interface ImportTraceRequest {
  readonly trace: string;
  readonly devices?: readonly string[] | null;
  readonly data?: readonly string[] | null;
  readonly platform?: string | null;
  readonly profile?: string | null;
  readonly memoryMiB?: number | null;
  readonly vcpus?: number | null;
  readonly deferredEveryOps?: number | null;
  readonly name?: string | null;
  readonly description?: string | null;
  readonly tags?: readonly string[] | null;
  /** Store the scenario (default true); false only imports. */
  readonly create?: boolean | null;
  /** Skip malformed event lines instead of rejecting the import. */
  readonly skipMalformedLines?: boolean | null;
}

export interface TraceImportOutcome {
  readonly summary: TraceImportSummary;
  readonly specYaml: string;
  readonly scenario: Scenario | null;
  readonly newVersion: ScenarioVersion | null;
  readonly skippedLines: readonly UserInputError[];
}

export interface AdviseRequest {
  readonly scenarioId: string;
  readonly version?: number | null;
  readonly profiles?: readonly string[] | null;
}

export interface PoolSizingOutcome {
  readonly scenarioVersion: ScenarioVersion;
  readonly operations: number;
  readonly profiles: readonly ProfileAdvice[];
}

/**
 * Bounds of advise in the API process. The search runs the engine synchronously, so it is bounded
 * by the workload size (each run replays every operation), the number of profiles and a time limit
 * checked between engine runs; the event loop gets a turn between profiles. Larger searches are for
 * `dmasim advise`, which has no such bounds.
 */
export interface AdviseLimits {
  readonly maxOperations: number;
  readonly maxProfiles: number;
  readonly timeLimitMs: number;
}

export const defaultAdviseLimits: AdviseLimits = { maxOperations: 50_000, maxProfiles: 3, timeLimitMs: 10_000 };

/** The default of import-trace's --deferred-every: atomic-pool growth and dynamic SWIOTLB work run between calls. */
const defaultDeferredEveryOps = 64;
/** Malformed lines reported one by one; the rest are counted in one more error. */
const maxLineErrors = 50;

export type Result<T> = T | { userErrors: UserInputError[] };

/** Trace import and pool sizing over GraphQL: the engine's importer and advisor behind input checks. */
export class TraceService {
  constructor(
    private readonly scenarios: ScenarioService,
    private readonly limits: AdviseLimits = defaultAdviseLimits,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  async importTrace(viewer: Viewer, input: ImportTraceRequest): Promise<Result<TraceImportOutcome>> {
    const create = input.create ?? true;
    if (create) requireRole(viewer, 'member');
    const parsed = parseImportOptions(input);
    if ('userErrors' in parsed) return parsed;
    if (input.trace.trim() === '') return reject(['input', 'trace'], 'the trace is empty', 'EMPTY_TRACE');
    const { spec, summary } = importTraceText(input.trace, {
      devices: parsed.devices,
      data: parsed.data,
      deferredEveryOps: input.deferredEveryOps ?? defaultDeferredEveryOps,
      maxErrorsKept: maxLineErrors,
      ...parsed.vm,
    });
    const lineErrors = summary.errors.map((e) => ({
      path: ['input', 'trace'],
      message: `line ${e.line}, column ${e.column}: ${e.message}`,
      code: 'MALFORMED_TRACE_LINE',
    }));
    if (summary.errorCount > summary.errors.length)
      lineErrors.push({
        path: ['input', 'trace'],
        message: `${summary.errorCount - summary.errors.length} more malformed lines`,
        code: 'MALFORMED_TRACE_LINE',
      });
    if (lineErrors.length > 0 && input.skipMalformedLines !== true) return { userErrors: lineErrors };
    const ops = spec.workload.explicit ?? [];
    if (ops.length === 0)
      return reject(
        ['input', 'trace'],
        `no DMA calls to replay: ${summary.linesRead} lines, ${summary.eventsDecoded} dma/swiotlb events, ${summary.unknownLines.count} lines that are not ftrace events` +
          `${Object.keys(summary.otherEvents).length > 0 ? `, other events: ${Object.keys(summary.otherEvents).join(', ')}` : ''}` +
          ' (record with trace-cmd record -e dma -e swiotlb, or enable events/dma in tracefs)',
        'NO_DMA_EVENTS',
      );
    const specYaml = `${importHeaderYaml(summary, 'an upload')}${specFrameYaml(importedSpecFrame(summary, parsed.vm))}workload:\n  seed: 1\n  explicit:\n${ops.map(opYamlLine).join('')}`;
    const outcome = { summary, specYaml, skippedLines: lineErrors };
    if (!create) {
      // The preview validates here; a created scenario is validated once, by the scenario service.
      const checked = validateScenario(spec);
      if (!checked.ok) return { userErrors: specUserErrors(checked.errors) };
      return { ...outcome, scenario: null, newVersion: null };
    }
    const saved = await this.scenarios.createFromSpec(
      viewer,
      { name: input.name ?? null, description: input.description ?? null, tags: input.tags ?? null },
      spec,
    );
    if ('userErrors' in saved) return saved;
    return { ...outcome, scenario: saved.scenario, newVersion: saved.newVersion };
  }

  async advise(viewer: Viewer, input: AdviseRequest): Promise<Result<PoolSizingOutcome>> {
    const profiles = input.profiles ?? [];
    if (profiles.length > this.limits.maxProfiles)
      return reject(
        ['input', 'profiles'],
        `at most ${this.limits.maxProfiles} profiles per request (${profiles.length} given)`,
        'TOO_MANY_PROFILES',
      );
    const profileErrors = profiles.flatMap((profile, index) => {
      const problem = kernelProfileProblem(profile);
      return problem === undefined
        ? []
        : [{ path: ['input', 'profiles', String(index)], message: problem, code: 'INVALID_PROFILE' }];
    });
    if (profileErrors.length > 0) return { userErrors: profileErrors };
    await this.scenarios.getOrThrow(viewer, input.scenarioId);
    const versions = await this.scenarios.versions(viewer, input.scenarioId);
    const version =
      input.version === undefined || input.version === null
        ? versions.reduce<ScenarioVersion | undefined>(
            (a, v) => (a === undefined || v.version > a.version ? v : a),
            undefined,
          )
        : versions.find((v) => v.version === input.version);
    if (version === undefined)
      return reject(['input', 'version'], `the scenario has no version ${input.version ?? ''}`.trim(), 'NOT_FOUND');
    const checked = validateScenario(version.spec);
    if (!checked.ok) return { userErrors: specUserErrors(checked.errors) };
    const spec = checked.spec;
    const operations = spec.workload.operations;
    if (operations > this.limits.maxOperations)
      return reject(
        ['input', 'scenarioId'],
        `the workload has ${operations} operations; advise over the API takes at most ${this.limits.maxOperations} (each search step replays them all). Run dmasim advise on the spec instead`,
        'WORKLOAD_TOO_LARGE',
      );
    const deadlineMs = this.nowMs() + this.limits.timeLimitMs;
    const advice: ProfileAdvice[] = [];
    for (const profile of profiles.length > 0 ? profiles : [spec.kernel.profile]) {
      // Let other requests run between profiles: one profile's search is one synchronous stretch.
      await nextTurn();
      const result = advisePools(spec, { profiles: [profile], now: this.nowMs, deadlineMs });
      if (!result.ok) return reject(['input', 'profiles'], result.error, 'ADVISE_FAILED');
      advice.push(...result.advice);
    }
    return { scenarioVersion: version, operations, profiles: advice };
  }
}

function reject(path: string[], message: string, code: string): { userErrors: UserInputError[] } {
  return { userErrors: [{ path, message, code }] };
}

interface ImportOptions {
  readonly devices: DeviceMapping[];
  readonly data: DataRule[];
  readonly vm: {
    name?: string;
    platform?: (typeof platformIds)[number];
    profile?: string;
    memoryMiB?: number;
    vcpus?: number;
  };
}

/** Parses the device map, data rules and VM options; every problem names its input path. */
function parseImportOptions(input: ImportTraceRequest): Result<ImportOptions> {
  const errors: UserInputError[] = [];
  const devices: DeviceMapping[] = [];
  (input.devices ?? []).forEach((text, index) => {
    const parsed = parseDeviceMap(text);
    if (parsed.ok) devices.push(...parsed.value);
    else errors.push({ path: ['input', 'devices', String(index)], message: parsed.error, code: 'INVALID_DEVICE_MAP' });
  });
  const data: DataRule[] = [];
  (input.data ?? []).forEach((text, index) => {
    const parsed = parseDataRules(text);
    if (parsed.ok) data.push(...parsed.value);
    else errors.push({ path: ['input', 'data', String(index)], message: parsed.error, code: 'INVALID_DATA_RULE' });
  });
  const platform = input.platform === null || input.platform === undefined ? undefined : input.platform;
  const knownPlatform = platformIds.find((p) => p === platform);
  if (platform !== undefined && knownPlatform === undefined)
    errors.push({
      path: ['input', 'platform'],
      message: `unknown platform '${platform}'; valid: ${platformIds.join(', ')}`,
      code: 'INVALID_PLATFORM',
    });
  const profile = input.profile ?? undefined;
  const profileProblem = profile === undefined ? undefined : kernelProfileProblem(profile);
  if (profileProblem !== undefined)
    errors.push({ path: ['input', 'profile'], message: profileProblem, code: 'INVALID_PROFILE' });
  const deferred = input.deferredEveryOps;
  if (deferred !== undefined && deferred !== null && (deferred < 0 || deferred > 100_000))
    errors.push({
      path: ['input', 'deferredEveryOps'],
      message: 'must be from 0 (never) to 100000',
      code: 'INVALID_DEFERRED_EVERY',
    });
  if (errors.length > 0) return { userErrors: errors };
  return {
    devices,
    data,
    vm: {
      ...(input.name ? { name: input.name } : {}),
      ...(knownPlatform ? { platform: knownPlatform } : {}),
      ...(profile ? { profile } : {}),
      ...(input.memoryMiB ? { memoryMiB: input.memoryMiB } : {}),
      ...(input.vcpus ? { vcpus: input.vcpus } : {}),
    },
  };
}

/** A pool size in the unit the search used (128-slot segments, 4 KiB pages) → slots or bytes. */
export function searchUnitToPoolUnit(advice: PoolAdvice, n: number): number {
  return advice.param === 'swiotlb' ? n * 128 : n * 4096;
}
