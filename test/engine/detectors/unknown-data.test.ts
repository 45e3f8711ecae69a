import { runScenario, type EngineReport } from '../../../src/engine/index';
import { importTraceText, parseDataRules } from '../../../src/engine/trace/index';
import { validateScenario } from '../../../src/engine/spec/validate';
import { parseSpecText } from '../../../src/modules/scenario/spec-text';

/** One untrusted NVMe on SNP: every to-device map bounces through the shared pool (V0 is info; V3 by data). */
const spec = (data: string): string => `apiVersion: dmasim/v1
name: unknown-data
vm: { platform: sev-snp, memoryMiB: 1024, vcpus: 2 }
kernel: { profile: v7.2 }
devices:
  - { id: d0, kind: nvme, trust: untrusted }
workload:
  explicit:
    - { op: alloc_coherent, id: c1, device: d0, size: 4096, gfp: blocking }
    - { op: cpu_write, id: c1, bytes: 512, data: ${data} }
    - { op: free_coherent, id: c1 }
`;

function run(data: string): EngineReport {
  const parsed = parseSpecText(spec(data));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return runScenario(parsed.spec);
}

describe('data class unknown (bytes nobody classified)', () => {
  it('is a valid spec data class', () => {
    expect(parseSpecText(spec('unknown')).ok).toBe(true);
    const bad = parseSpecText(spec('classified'));
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors[0]!.message).toContain('unknown');
  });

  it('is exposed like sensitive data (severity high, same bytes) but reported under its own name', () => {
    const unknown = run('unknown').violations.filter((v) => v.class === 'V3');
    const sensitive = run('sensitive').violations.filter((v) => v.class === 'V3');
    const secret = run('secret').violations.filter((v) => v.class === 'V3');
    expect(unknown).toHaveLength(1);
    expect(unknown[0]).toMatchObject({ dataClass: 'unknown', severity: 'high', bytesExposed: 512 });
    expect(sensitive[0]).toMatchObject({ dataClass: 'sensitive', severity: 'high', bytesExposed: 512 });
    expect(secret[0]).toMatchObject({ dataClass: 'secret', severity: 'critical' });
    // A different finding (fingerprint) from the sensitive one: classifying the data changes what is reported.
    expect(unknown[0]!.fingerprint).not.toBe(sensitive[0]!.fingerprint);
    expect(unknown[0]!.fingerprint.endsWith('|unknown')).toBe(true);
  });

  it('is what public data is not: public bytes in shared memory are no violation', () => {
    expect(run('public').violations.filter((v) => v.class === 'V3')).toEqual([]);
  });
});

describe('imported traces default to unknown; --data rules classify', () => {
  const trace = [
    '# tracer: nop',
    '          <idle>-0       [001] d..1.   100.000001: dma_map_phys: 0000:00:04.0 dir=TO_DEVICE dma_addr=7c000000 size=4096 phys_addr=7c000000 attrs=',
    '          <idle>-0       [001] d..1.   100.000002: dma_map_phys: 0000:00:04.0 dir=FROM_DEVICE dma_addr=7c002000 size=4096 phys_addr=7c002000 attrs=',
    '          <idle>-0       [001] d..1.   100.000003: dma_map_phys: 0000:00:05.0 dir=TO_DEVICE dma_addr=7c004000 size=4096 phys_addr=7c004000 attrs=',
    '',
  ].join('\n');
  const dataOf = (rules: string): string[] => {
    const parsed = parseDataRules(rules);
    if (!parsed.ok) throw new Error(parsed.error);
    const { spec: imported } = importTraceText(trace, { data: parsed.value });
    expect(validateScenario(imported).ok).toBe(true);
    return imported.workload.explicit!.map((op) => (op.op === 'map' ? op.buffer.data : '-'));
  };

  it('writes unknown when no rule matches, and counts the ops that carry it', () => {
    expect(dataOf('')).toEqual(['unknown', 'unknown', 'unknown']);
    expect(importTraceText(trace).summary.unclassifiedOps).toBe(3);
    const rules = parseDataRules('from-device=sensitive');
    if (!rules.ok) throw new Error(rules.error);
    expect(importTraceText(trace, { data: rules.value }).summary.unclassifiedOps).toBe(2);
  });

  it('classifies per device and direction; the last matching rule wins', () => {
    expect(dataOf('0000:00:04.0:to-device=secret')).toEqual(['secret', 'unknown', 'unknown']);
    expect(dataOf('*=public;pci0000_00_05.0=secret')).toEqual(['public', 'public', 'secret']);
    expect(dataOf('from-device=sensitive')).toEqual(['unknown', 'sensitive', 'unknown']);
    expect(dataOf('*=secret;0000:00:04.0=unknown')).toEqual(['unknown', 'unknown', 'secret']);
  });
});
