import type { Resolvers } from '../../api/generated/resolvers-types';
import type { PoolAdvice, ProfileAdvice } from '../../engine/index';
import type { UserInputError } from '../common/user-errors';
import { searchUnitToPoolUnit, type TraceImportOutcome } from './trace.service';

const rejected = (userErrors: readonly UserInputError[]) => ({
  __typename: 'InputRejected' as const,
  userErrors: userErrors.map((e) => ({ ...e, path: [...e.path] })),
});

const big = (n: number | null): bigint | null => (n === null ? null : BigInt(n));
const counts = (record: Readonly<Record<string, number>>) =>
  Object.entries(record).map(([what, count]) => ({ what, count }));

function summary(outcome: TraceImportOutcome) {
  const s = outcome.summary;
  return {
    linesRead: s.linesRead,
    eventsDecoded: s.eventsDecoded,
    headerLines: s.headerLines,
    unknownLines: s.unknownLines.count,
    unknownLineNumbers: [...s.unknownLines.firstLines],
    malformedLines: s.errorCount,
    opsWritten: s.opsWritten,
    opsNotWritten: s.opsNotWritten,
    unclassifiedOps: s.unclassifiedOps,
    liveAtEnd: s.liveAtEnd,
    bouncedOnly: s.bouncedOnly,
    devices: s.devices.map((d) => ({ ...d })),
    warnings: counts(s.warnings),
    otherEvents: counts(s.otherEvents),
    unsupportedEvents: counts(s.unsupportedEvents),
  };
}

function pool(advice: PoolAdvice) {
  return {
    param: advice.param,
    failureClass: advice.failureClass,
    failuresAsGiven: advice.failuresAsGiven,
    value: advice.value,
    effectiveSize: big(advice.effectiveSize),
    unit: advice.param === 'swiotlb' ? 'slots' : 'bytes',
    poolBytes: big(advice.poolBytes),
    decryptedBytes: big(advice.decryptedBytes),
    lowMemoryBytes: big(advice.lowMemoryBytes),
    peakUsed: big(advice.peakUsed),
    headroom: big(advice.headroom),
    runs: advice.search.runs,
    monotone: advice.search.monotone,
    nonMonotoneAt: advice.search.nonMonotoneAt?.map((n) => searchUnitToPoolUnit(advice, n)) ?? null,
    timedOut: advice.search.timedOut,
    note: advice.note,
  };
}

function profile(advice: ProfileAdvice) {
  return {
    profile: advice.profile,
    swiotlb: pool(advice.swiotlb),
    coherentPool: pool(advice.coherentPool),
    privatePoolBytes: big(advice.privatePoolBytes),
  };
}

/** Trace import and pool sizing: parse, call the trace service, map. */
export const traceResolvers: Resolvers = {
  Query: {
    advise: async (_parent, { input }, { viewer, services }) => {
      const result = await services.traces.advise(viewer, input);
      if ('userErrors' in result) return rejected(result.userErrors);
      return {
        __typename: 'PoolSizing' as const,
        scenarioVersion: result.scenarioVersion,
        operations: result.operations,
        profiles: result.profiles.map(profile),
      };
    },
  },
  Mutation: {
    importTrace: async (_parent, { input }, { viewer, services }) => {
      const result = await services.traces.importTrace(viewer, input);
      if ('userErrors' in result) return rejected(result.userErrors);
      return {
        __typename: 'TraceImported' as const,
        summary: summary(result),
        specYaml: result.specYaml,
        scenario: result.scenario,
        newVersion: result.newVersion,
        skippedLines: result.skippedLines.map((e) => ({ ...e, path: [...e.path] })),
      };
    },
  },
};
