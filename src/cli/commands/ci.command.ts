import { type CliCommand, type CliIo, UsageError } from '../command';
import { parseFindingGate } from '../../engine/index';
import { loadConfig } from '../../platform/config';

const usage = `usage: dmasim ci --suite <name> --server <url> [--token <token>] [--tag <tag>]... [--fail-on LIST] [--timeout-s N] [--poll-ms N]

Submits a batch of the regression suite <name> to the dmasim server at <url>, shows progress while
its runs execute, prints the comparison with the suite's baseline and exits:
  0  PASS, IMPROVED or NOT_COMPARABLE (no baseline yet, or engine/spec changed: nothing to gate)
  1  REGRESSED (a new or reopened violation, or a metric threshold broken), or, with --fail-on,
     the suite's first batch (no baseline) has a finding that meets the gate
  2  usage error
  3  error (a run failed, the server refused, or the timeout passed)
--fail-on LIST gates a batch without a baseline on its findings, as dmasim run --fail-on does:
severities (a finding at or above), classes (V0-V9, F1-F16) or verdict levels, comma-separated,
e.g. --fail-on high. Batches with a baseline are gated by the comparison.
The token comes from --token or DMASIM_TOKEN (a member token of the suite's team). Exports of the
batch: GET <url>/export/batches/<batch id>/junit.xml (also results.sarif, series.csv, report.md).`;

/** Exit codes of dmasim ci: distinct for "your change regressed" and "could not tell". */
export const CiExitCode = { pass: 0, regressed: 1, usage: 2, error: 3 } as const;

interface CiOptions {
  suite: string;
  server: string;
  token: string;
  tags: string[];
  timeoutMs: number;
  pollMs: number;
  failOn: string | null;
}

interface BatchView {
  id: string;
  status: string;
  runsFinished: number;
  runsTotal: number;
  /** The suite's entries as they are now: the candidate kernel of each entry is its profile plus overlays. */
  suite: {
    entries: Array<{ name: string; profile: string; overlays: Array<{ name: string; variant: string | null }> }>;
  };
  comparison: null | {
    verdict: string;
    baselineBatchId: string | null;
    counts: Record<string, number>;
    entries: Array<{
      candidateRunId: string;
      scenarioName: string;
      entryName: string;
      profile: string;
      baselineProfile: string | null;
      verdict: string;
      reasons: string[];
    }>;
  };
}

const batchFields =
  'id status runsFinished runsTotal suite { entries { name profile overlays { name variant } } } comparison { verdict baselineBatchId counts { new fixed persisting reopened waived thresholdBreaches moved } entries { candidateRunId scenarioName entryName profile baselineProfile verdict reasons } }';

class CiError extends Error {
  override readonly name = 'CiError';
}

export const ciCommand: CliCommand = {
  name: 'ci',
  summary: 'run a regression suite on a server and fail the build on regressions',
  usage,
  async run(args, io) {
    const options = parseArgs(args);
    try {
      const batchId = await submit(options);
      io.stderr.write(`dmasim ci: suite ${options.suite}, batch ${batchId}\n`);
      const batch = await waitForComparison(options, batchId, io);
      printComparison(batch, options, io);
      const verdict = batch.comparison?.verdict;
      if (options.failOn !== null && batch.comparison && batch.comparison.baselineBatchId === null) {
        const matched = await gatedFindings(options, batch, io);
        if (matched > 0) {
          io.stderr.write(
            `dmasim ci: ${matched} finding(s) meet --fail-on ${options.failOn} (first batch, no baseline)\n`,
          );
          return CiExitCode.regressed;
        }
      }
      return verdict === 'REGRESSED' ? CiExitCode.regressed : verdict === 'ERROR' ? CiExitCode.error : CiExitCode.pass;
    } catch (error: unknown) {
      if (!(error instanceof CiError) && !(error instanceof TypeError)) throw error;
      io.stderr.write(`dmasim ci: ${error.message}\n`);
      return CiExitCode.error;
    }
  },
};

function parseArgs(args: readonly string[]): CiOptions {
  const values: Record<string, string> = {};
  const tags: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const flag = args[i] ?? '';
    const value = args[i + 1];
    if (!['--suite', '--server', '--token', '--tag', '--timeout-s', '--poll-ms', '--fail-on'].includes(flag))
      throw new UsageError(`unknown option '${flag}'`);
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    if (flag === '--tag') tags.push(value);
    else values[flag] = value;
    i++;
  }
  const token = values['--token'] ?? loadConfig().cliToken;
  if (!values['--suite']) throw new UsageError('missing --suite');
  if (!values['--server'] || !URL.canParse(values['--server'])) throw new UsageError('missing or invalid --server URL');
  if (!token) throw new UsageError('no token: pass --token or set DMASIM_TOKEN');
  const failOn = values['--fail-on'] ?? null;
  if (failOn !== null) {
    const parsed = parseFindingGate(failOn);
    if (!parsed.ok) throw new UsageError(`--fail-on: ${parsed.error}`);
  }
  const timeoutS = Number(values['--timeout-s'] ?? 1800);
  const pollMs = Number(values['--poll-ms'] ?? 1000);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0 || !Number.isInteger(pollMs) || pollMs < 50)
    throw new UsageError('--timeout-s must be > 0 and --poll-ms ≥ 50');
  return {
    suite: values['--suite'],
    server: values['--server'].replace(/\/+$/, ''),
    token,
    tags,
    timeoutMs: timeoutS * 1000,
    pollMs,
    failOn,
  };
}

/**
 * fetch() rejects with a bare "fetch failed" TypeError; the reason (ECONNREFUSED, ENOTFOUND, a TLS
 * error …) is in its `cause`. Says which URL could not be reached and why.
 */
export function describeFetchFailure(url: string, error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  const parts = [cause, error]
    .flatMap((e) => {
      if (e === null || typeof e !== 'object') return [];
      const { code, message } = e as { code?: unknown; message?: unknown };
      return [
        [typeof code === 'string' ? code : '', typeof message === 'string' ? message : ''].filter(Boolean).join(': '),
      ];
    })
    .filter((text) => text && text !== 'fetch failed');
  const reason = parts[0] ?? (error instanceof Error ? error.message : String(error));
  const hint = /ECONNREFUSED/.test(reason)
    ? ' — is the server running (npm start) and is --server right?'
    : /ENOTFOUND|EAI_AGAIN/.test(reason)
      ? ' — check the host name in --server'
      : '';
  return `cannot reach ${url}: ${reason}${hint}`;
}

async function gql<T>(options: CiOptions, query: string, variables: Record<string, unknown>): Promise<T> {
  const url = `${options.server}/graphql`;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
    body: JSON.stringify({ query, variables }),
  }).catch((error: unknown) => {
    throw new CiError(describeFetchFailure(url, error));
  });
  const body = (await response.json().catch(() => ({}))) as {
    data?: T;
    errors?: Array<{ message: string; extensions?: { code?: string } }>;
  };
  if (body.errors?.length || !body.data)
    throw new CiError(
      `server answered ${response.status}: ${body.errors?.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; ') ?? 'no data'}`,
    );
  return body.data;
}

async function submit(options: CiOptions): Promise<string> {
  const data = await gql<{
    runSuite: { __typename: string; batch?: { id: string }; userErrors?: Array<{ message: string; code: string }> };
  }>(
    options,
    'mutation($input: RunSuiteInput!) { runSuite(input: $input) { __typename ... on SuiteBatchSubmitted { batch { id } } ... on InputRejected { userErrors { path message code } } } }',
    { input: { suiteName: options.suite, trigger: 'CI', tags: options.tags } },
  );
  if (!data.runSuite.batch)
    throw new CiError(
      `suite ${options.suite} rejected: ${data.runSuite.userErrors?.map((e) => `${e.code}: ${e.message}`).join('; ') ?? ''}`,
    );
  return data.runSuite.batch.id;
}

async function waitForComparison(options: CiOptions, batchId: string, io: CliIo): Promise<BatchView> {
  const deadline = Date.now() + options.timeoutMs;
  let last = '';
  for (;;) {
    const { suiteBatch } = await gql<{ suiteBatch: BatchView | null }>(
      options,
      `query($id: UUID!) { suiteBatch(id: $id) { ${batchFields} } }`,
      { id: batchId },
    );
    if (!suiteBatch) throw new CiError(`batch ${batchId} vanished`);
    const line = `[${suiteBatch.runsFinished}/${suiteBatch.runsTotal}] ${suiteBatch.status}`;
    if (line !== last) io.stderr.write(`dmasim ci: ${line}\n`);
    last = line;
    if (suiteBatch.comparison) return suiteBatch;
    if (Date.now() > deadline)
      throw new CiError(`batch ${batchId} not compared after ${options.timeoutMs / 1000} s (${line})`);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
}

/** A suite entry's kernel: "lb + device-cc-accepted:alexey" (the profile alone without overlays). */
export function formatKernel(
  profile: string,
  overlays: ReadonlyArray<{ name: string; variant: string | null }>,
): string {
  return [profile, ...overlays.map((o) => (o.variant ? `${o.name}:${o.variant}` : o.name))].join(' + ');
}

/**
 * Findings of the batch's runs that meet --fail-on, counted by the server's run-level SARIF export
 * (the same gate as dmasim run --fail-on): each `error` result is one; they are printed.
 */
async function gatedFindings(options: CiOptions, batch: BatchView, io: CliIo): Promise<number> {
  let matched = 0;
  for (const entry of batch.comparison?.entries ?? []) {
    const url = `${options.server}/export/runs/${entry.candidateRunId}/results.sarif?failOn=${encodeURIComponent(options.failOn ?? '')}`;
    const response = await fetch(url, { headers: { authorization: `Bearer ${options.token}` } }).catch(
      (error: unknown) => {
        throw new CiError(describeFetchFailure(url, error));
      },
    );
    if (!response.ok) throw new CiError(`server answered ${response.status} for ${url}`);
    const log = (await response.json()) as {
      runs?: Array<{ results?: Array<{ level?: string; ruleId?: string; message?: { text?: string } }> }>;
    };
    for (const result of log.runs?.[0]?.results ?? []) {
      if (result.level !== 'error') continue;
      matched++;
      io.stdout.write(
        `  FAIL ${entry.scenarioName} × ${entry.entryName}: ${result.ruleId ?? '?'} ${result.message?.text ?? ''}\n`,
      );
    }
  }
  return matched;
}

function printComparison(batch: BatchView, options: CiOptions, io: CliIo): void {
  const comparison = batch.comparison;
  if (!comparison) return;
  const c = comparison.counts;
  io.stdout.write(`verdict: ${comparison.verdict} (baseline ${comparison.baselineBatchId ?? 'none'})\n`);
  io.stdout.write(
    `new ${c['new']} (${c['moved']} same exposure as a fixed baseline finding, other kernel path/rule), reopened ${c['reopened']}, fixed ${c['fixed']}, persisting ${c['persisting']}, waived ${c['waived']}, threshold breaches ${c['thresholdBreaches']}\n`,
  );
  for (const e of comparison.entries) {
    const entry = batch.suite.entries.find((candidate) => candidate.name === e.entryName);
    const kernel = entry && entry.profile === e.profile ? formatKernel(entry.profile, entry.overlays) : e.profile;
    io.stdout.write(
      `  ${e.verdict.padEnd(14)} ${e.scenarioName} × ${e.entryName} (${e.baselineProfile ?? '-'} → ${kernel})\n`,
    );
    for (const reason of e.reasons) io.stdout.write(`      ${reason}\n`);
  }
  io.stdout.write(
    `exports: ${options.server}/export/batches/${batch.id}/junit.xml (results.sarif, series.csv, report.md)\n`,
  );
}
