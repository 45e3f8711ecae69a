import { swiotlbFromCmdline } from '../../../src/engine/swiotlb/boot-sizing';
import { validateScenario } from '../../../src/engine/spec/validate';
import { baseSpec, explicitSpec, mapOp } from '../spec/spec-builders';
import { metric, runSpec } from './run-helpers';

const notes = (report: { kernelLog: ReadonlyArray<{ text: string }> }): string[] =>
  report.kernelLog.map((l) => l.text).filter((t) => t.startsWith('note:'));

describe('defect 12: swiotlb= as setup_io_tlb_npages() parses it (kernel/dma/swiotlb.c)', () => {
  it('swiotlb=,4 sets the areas only', () => {
    expect(swiotlbFromCmdline('swiotlb=,4')).toEqual({ nareas: 4, force: false, noforce: false });
    const report = runSpec({ ...baseSpec(), kernel: { profile: 'v7.2', cmdline: 'swiotlb=,4' } });
    expect(metric(report, 'swiotlb.nareas')).toBe(4);
  });

  it('swiotlb=force,4 is silently ignored by the kernel: accepted, no force, and a report note', () => {
    expect(swiotlbFromCmdline('swiotlb=force,4')).toMatchObject({ force: false, noforce: false, ignored: ['force,4'] });
    const spec = { ...baseSpec(), kernel: { profile: 'v7.2', cmdline: 'swiotlb=force,4' } };
    expect(validateScenario(spec).ok).toBe(true);
    expect(notes(runSpec(spec)).join('\n')).toMatch(/swiotlb=force,4: setup_io_tlb_npages\(\) ignored/);
  });

  it('repeated parameters apply in order on the same globals: later numbers win, force stays set', () => {
    expect(swiotlbFromCmdline('swiotlb=force swiotlb=65536')).toEqual({ nslabs: 65536, force: true, noforce: false });
    expect(swiotlbFromCmdline('swiotlb=32768,8 swiotlb=,2')).toEqual({
      nslabs: 32768,
      nareas: 2,
      force: false,
      noforce: false,
    });
  });

  it('never rejects a command line the kernel boots with (swiotlb=lots)', () => {
    expect(validateScenario({ ...baseSpec(), kernel: { profile: 'v7.2', cmdline: 'swiotlb=lots' } }).ok).toBe(true);
  });
});

describe('defect 13: "(TIO) Disable SWIOTLB" and the tdisp-accepted note (docs/engine-contract.md §2.2)', () => {
  const tdisp = (overlays: unknown[]) =>
    runSpec(
      explicitSpec([mapOp('m1', { device: 'tdisp0' }), mapOp('m2', { device: 'tdisp0' })], (s) => {
        s.vm['platform'] = 'tdx';
        s.kernel['overlays'] = overlays;
        s.devices = [{ id: 'tdisp0', kind: 'tdisp-nvme', trust: 'tdisp-accepted' }];
      }),
    );

  it('the force-bounce-off hunk warns once when it overrides SWIOTLB_FORCE for an accepted device', () => {
    const texts = tdisp(['device-cc-accepted']).kernelLog.map((l) => l.text);
    expect(texts.filter((t) => t === '(TIO) Disable SWIOTLB')).toHaveLength(1);
    expect(tdisp([{ name: 'device-cc-accepted', variant: 'posted' }]).kernelLog.map((l) => l.text)).not.toContain(
      '(TIO) Disable SWIOTLB',
    );
  });

  it('a tdisp-accepted device without an accepting overlay gets a note', () => {
    expect(notes(tdisp([])).join('\n')).toMatch(/tdisp0 is tdisp-accepted, but without the device-cc-accepted overlay/);
    expect(notes(tdisp(['device-cc-accepted'])).join('\n')).not.toMatch(/tdisp0 is tdisp-accepted/);
  });
});
