import { flowYaml } from '../trace/spec-build';
import type { NormalizedScenario } from '../spec/normalize';
import type { ExplicitOp } from '../spec/scenario.schema';
import type { MinimizeSuccess } from './minimize';
import type { FindingSelector } from './selector';

/** An op without the fields that only repeat defaults (attrs [], offset 0, cpu 0, gfp blocking). */
function compactOp(op: ExplicitOp): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(op)) {
    if (Array.isArray(value) && value.length === 0 && key === 'attrs') continue;
    if ((key === 'offset' || key === 'cpu') && value === 0) continue;
    if (key === 'gfp' && value === 'blocking') continue;
    out[key] = value;
  }
  return out;
}

function specYaml(spec: NormalizedScenario): string {
  const { workload, devices, ...rest } = spec;
  const head = Object.entries(rest)
    .map(([key, value]) => `${key}: ${flowYaml(value)}\n`)
    .join('');
  return `${head}devices:\n${devices.map((d) => `  - ${flowYaml(d)}\n`).join('')}workload:\n  seed: ${workload.seed}\n  explicit:\n${workload.explicit.map((op) => `    - ${flowYaml(compactOp(op))}\n`).join('')}`;
}

/**
 * The reproducer as YAML with a comment header a reviewer can read on a mailing list: what it
 * reproduces, the kernel's log lines from the run, and the command that runs it.
 */
export function renderReproducer(
  result: MinimizeSuccess,
  selector: FindingSelector,
  fileName: string,
  source: string,
): string {
  const spec: NormalizedScenario = {
    ...result.spec,
    name: `${result.spec.name}-min`,
    description: `Minimal reproducer of ${selector.text} from ${source}`,
  };
  const findings = result.findings.map(
    (f) => `${f.class} ${f.severity} on ${f.deviceId} (rule ${f.rule}, first at op ${f.firstOp}): ${f.explanation}`,
  );
  const log = result.report.kernelLog.map((l) => `  [${l.op < 0 ? 'boot' : `op ${l.op}`}] ${l.text}`);
  const lines = [
    `Minimal reproducer of '${selector.text}' (dmasim minimize, ${result.runs} engine runs${result.complete ? '' : ', stopped by --max-seconds: small but not proven minimal'}).`,
    `From ${source}: ${result.opsBefore} ops${result.materialized ? ' (its streams written out as explicit calls)' : ''} → ${result.spec.workload.explicit.length} op${result.spec.workload.explicit.length === 1 ? '' : 's'}; removing any one op loses the finding.`,
    `Platform ${spec.vm.platform}, kernel ${spec.kernel.profile}${spec.kernel.overlays.length > 0 ? ` + ${spec.kernel.overlays.map((o) => o.name).join(' + ')}` : ''}${spec.kernel.cmdline ? `, cmdline "${spec.kernel.cmdline}"` : ''}.`,
    'Reproduces:',
    ...findings.map((f) => `  ${f}`),
    ...(log.length > 0 ? ['Kernel log:', ...log] : ['Kernel log: (nothing printed)']),
    `Run: dmasim run ${fileName}`,
  ];
  return `${lines.map((l) => `# ${l}`.trimEnd()).join('\n')}\n${specYaml(spec)}`;
}
