// dmasim review: the reviewer's answer for a kernel change, on the bundled Hyper-V storvsc examples.
// The expected counts were taken from runs at --operations 2000 and then checked against the model:
// S4/S19 put Confidential VMBus storvsc (secret data) on a Hyper-V SNP CVM with the paravisor.
// - v7.2 (la-phys): vTOM reports guest memory encryption, so x86 sets SWIOTLB_FORCE and rule A4
//   bounces every map through the shared pool: V1 (secret critical, device write and map copy; stale
//   high) plus V6 (slots released without scrubbing) — four exposures.
// - +device-cc-accepted:posted changes is_swiotlb_active(), is_swiotlb_for_alloc() and
//   dma_direct_use_pool() only; dma_direct_map_phys() tests is_swiotlb_force_bounce() first, so all
//   four exposures are left, and only the force-bounce-off hunk (or Dan Williams' bounce-unaccepted)
//   stops the forced bounce: the review names it.
// - posted+force-bounce-off and the full aneesh variant map storvsc directly: all four are fixed.
// - lb (v7.3) has no SWIOTLB_FORCE: there `posted` turns the B5 bounce into a mapping error (F5),
//   which the review reports as a new failure with the kernel's log line.
import path from 'node:path';
import { runCli } from '../../../src/cli/main';
import type { ReviewTotals, ScenarioReview } from '../../../src/engine/index';
import { memoryIo } from '../../support/memory-io';

const example = (name: string): string => path.join(__dirname, '..', '..', '..', 'examples', name);
const s04 = example('s04-hyperv-snp-confidential-storvsc.yaml');
const s19 = example('s19-hyperv-snp-posted-vs-full.yaml');

interface ReviewJson {
  base: string;
  patched: string;
  scenarios: ScenarioReview[];
  skipped: { scenario: string; reason: string }[];
  total: ReviewTotals;
}

async function review(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo();
  const code = await runCli(['review', ...args, '--operations', '2000'], io);
  return { code, out: io.out(), err: io.err() };
}

async function reviewJson(base: string, patched: string): Promise<ReviewJson> {
  const result = await review(s04, s19, '--base', base, '--patched', patched, '--json');
  expect(result.err).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.out) as ReviewJson;
}

describe('dmasim review', () => {
  it('posted on v7.2 leaves the V1 leak of storvsc and names force-bounce-off', async () => {
    const json = await reviewJson('v7.2', 'v7.2+device-cc-accepted:posted');
    expect(json.base).toBe('v7.2');
    expect(json.patched).toBe('v7.2+device-cc-accepted:posted');
    expect(json.scenarios.map((s) => path.basename(s.scenario))).toEqual([
      's04-hyperv-snp-confidential-storvsc.yaml',
      's19-hyperv-snp-posted-vs-full.yaml',
    ]);
    for (const s of json.scenarios) {
      expect(s.patchedVerdict).toBe('exposes-secrets');
      expect(s.fixed).toHaveLength(0);
      expect(s.newFailures).toHaveLength(0);
      expect(s.left.map((e) => `${e.class} ${e.severity} ${e.dataClass} ${e.rule}`).sort()).toEqual([
        'V1 critical secret A4',
        'V1 critical secret A4',
        'V1 high stale A4',
        'V6 info secret A4',
      ]);
      for (const e of s.left) {
        expect(e.deviceId).toBe('storvsc0');
        expect(e.bytesExposed).toBeGreaterThan(0);
        expect(e.hunksNeeded).toContain('force-bounce-off');
        // The posted hunks are already on: they cannot be what is missing.
        expect(e.hunksNeeded).not.toContain('swiotlb-active-off');
      }
      expect(s.verdict).toMatch(/^leaves the V1\/V6 leak for storvsc0 \(rule A4; needs force-bounce-off/);
      expect(s.time.delta).toBe(0);
    }
    expect(json.total).toMatchObject({ scenarios: 2, fixed: 0, left: 8, newExposures: 0, newFailedOperations: 0 });
    expect(json.skipped).toEqual([]);
  });

  it.each(['v7.2+device-cc-accepted:posted+force-bounce-off', 'v7.2+device-cc-accepted:aneesh'])(
    '%s fixes it (nothing left)',
    async (patched) => {
      const json = await reviewJson('v7.2', patched);
      for (const s of json.scenarios) {
        expect(s.left).toHaveLength(0);
        expect(s.fixed).toHaveLength(4);
        expect(s.patchedVerdict).toBe('clean');
        expect(s.verdict).toBe('fixes the leak for storvsc0');
        // No bounce copies any more: the modelled time goes down.
        expect(s.time.delta).toBeLessThan(0);
      }
      expect(json.total).toMatchObject({ fixed: 8, left: 0, verdict: 'fixes the leak for storvsc0' });
    },
  );

  it('reports a new failure with its kernel log line (lb + posted: B5 bounce becomes F5)', async () => {
    const json = await reviewJson('lb', 'lb+device-cc-accepted:posted');
    const [s04Review] = json.scenarios;
    expect(s04Review?.fixed).toHaveLength(4);
    expect(s04Review?.left).toHaveLength(0);
    expect(s04Review?.newFailures).toEqual([
      expect.objectContaining({ class: 'F5', deviceId: 'storvsc0', severity: 'high', count: 829 }),
    ]);
    expect(s04Review?.newFailures[0]?.kernelLogLine).toMatch(/^DMA addr 0x[0-9a-f]+\+\d+ overflow/);
    expect(s04Review?.verdict).toBe('fixes the leak for storvsc0, breaks storvsc0: 829 × F5');
    // S4 and S19 are the same guest: the total adds the failures per device and class.
    expect(json.total.verdict).toBe('fixes the leak for storvsc0, breaks storvsc0: 1,658 × F5');
    expect(json.total).toMatchObject({ fixed: 8, left: 0, newFailedOperations: 1658, unaffected: 0 });
  });

  it('counts the memory cost of dual pools (a private pool the base lacks counts from 0)', async () => {
    const json = await reviewJson('v7.2', 'v7.2+device-cc-accepted:posted+dual-swiotlb-pools');
    const cost = (key: string): number | null | undefined => json.total.memory.find((m) => m.key === key)?.delta;
    // The private pool mirrors the default one on each of the two scenarios: 262,144 slabs and 6 MiB of slot metadata each.
    expect(cost('swiotlb.private.nslabs')).toBe(2 * 262_144);
    expect(cost('swiotlb.private.slotMetadataBytes')).toBe(2 * 6_291_712);
    expect(cost('swiotlb.slotMetadataBytes')).toBe(0);
  });

  it('--examples lists a scenario the patch does not touch as unaffected', async () => {
    const { code, out } = await review('--examples', '--base', 'lb', '--patched', 'lb+device-cc-accepted:posted');
    expect(code).toBe(0);
    // S13 (swiotlb=force on a non-confidential VM) has no accepted device: nothing changes.
    expect(out).toContain('examples/s13-swiotlb-force-non-coco.yaml: unaffected by the patch');
    expect(out).toContain('examples/s04-hyperv-snp-confidential-storvsc.yaml: exposes-secrets → failing');
    expect(out).toMatch(/^total over \d+ scenario\(s\): .*; \d+ scenario\(s\) unaffected$/m);
  });

  it('prints text and Markdown', async () => {
    const text = await review(s19, '--base', 'v7.2', '--patched', 'v7.2+device-cc-accepted:posted');
    expect(text.code).toBe(0);
    expect(text.out).toContain('review: v7.2+device-cc-accepted:posted against v7.2');
    expect(text.out).toContain('exposures fixed 0, left 4, new 0; new failures 0');
    expect(text.out).toContain('removed by switching on: force-bounce-off');
    expect(text.out).toMatch(/memory: memory\.decryptedBytes /);
    expect(text.out).toMatch(/time: cost\.totalNs /);
    const md = await review(s19, '--base', 'v7.2', '--patched', 'v7.2+device-cc-accepted:posted', '--md');
    expect(md.code).toBe(0);
    expect(md.out).toContain('**Verdict**: leaves the V1/V6 leak for storvsc0');
    expect(md.out).toContain('| scenario | base → patched | fixed | left |');
    expect(md.out).toContain('removed by `force-bounce-off`');
  });

  it('rejects a bad kernel entry with exit 2 and the valid choices', async () => {
    const bad = await review(s04, '--base', 'v7.2', '--patched', 'v7.2+device-cc-accepted:nope');
    expect(bad.code).toBe(2);
    expect(bad.out).toBe('');
    expect(bad.err).toContain("--patched: unknown variant 'nope' of device-cc-accepted: use one of aneesh, alexey");
    const profile = await review(s04, '--base', 'v9', '--patched', 'lb');
    expect(profile.code).toBe(2);
    expect(profile.err).toContain('--base');
    expect(profile.err).toMatch(/la-phys, lb/);
    const missing = await review(s04, '--base', 'v7.2');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('--patched KERNEL is required');
  });
});
