// npm run bench:engine [-- --json] — engine benchmarks (engine.md §10). One line per case with
// ops/s, slots scanned per op and peak heap. Case names are stable so numbers compare across commits.
import { createPrng } from '../src/engine/prng';
import { createTlbMem, type SwiotlbDevice, tblMapSingle, tblUnmapSingle, type TlbMem } from '../src/engine/swiotlb/index';

const asJson = process.argv.includes('--json');
const POOL_START = 0x80000000;

interface CaseResult {
  case: string;
  opsPerSec: number;
  slotsScannedPerOp: number;
  peakHeapBytes: number;
  [extra: string]: string | number;
}

function report(result: CaseResult): void {
  if (asJson) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const { case: name, opsPerSec, slotsScannedPerOp, peakHeapBytes, ...extra } = result;
  const extras = Object.entries(extra).map(([k, v]) => `${k}=${v}`).join('  ');
  process.stdout.write(
    `${name.padEnd(22)} ${Math.round(opsPerSec).toLocaleString('en-US').padStart(12)} ops/s  ${slotsScannedPerOp.toFixed(2).padStart(7)} slots scanned/op  peak heap ${(peakHeapBytes / 2 ** 20).toFixed(1)} MiB  ${extras}\n`,
  );
}

/** Runs `pairs` unmap+map pairs over a pool kept at a steady occupancy; times only the steady phase. */
function steadyState(name: string, options: { mem: TlbMem; device: SwiotlbDevice; fill: number; pairs: number; nextRequest: () => { orig: number; size: number } }): void {
  const { mem, device } = options;
  const rng = createPrng(42);
  const live: number[] = [];
  let cpu = 0;
  while (live.length < options.fill) {
    const { orig, size } = options.nextRequest();
    const tlb = tblMapSingle(mem, device, cpu++ & 3, orig, size, 0);
    if (tlb < 0) break;
    live.push(tlb);
  }
  const scannedBefore = mem.stats.slotsScanned;
  const failuresBefore = Object.values(mem.stats.failures).reduce((a, b) => a + b, 0);
  let peakHeapBytes = process.memoryUsage().heapUsed;
  const started = process.hrtime.bigint();
  for (let i = 0; i < options.pairs; i++) {
    const victim = rng.nextInt(live.length);
    tblUnmapSingle(mem, device, live[victim]!);
    const { orig, size } = options.nextRequest();
    const tlb = tblMapSingle(mem, device, cpu++ & 3, orig, size, 0);
    if (tlb >= 0) live[victim] = tlb;
    else {
      live[victim] = live[live.length - 1]!;
      live.pop();
    }
    if ((i & 0xffff) === 0) peakHeapBytes = Math.max(peakHeapBytes, process.memoryUsage().heapUsed);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const failures = Object.values(mem.stats.failures).reduce((a, b) => a + b, 0) - failuresBefore;
  report({
    case: name,
    opsPerSec: options.pairs / seconds,
    slotsScannedPerOp: (mem.stats.slotsScanned - scannedBefore) / options.pairs,
    peakHeapBytes,
    pairs: options.pairs,
    failedMaps: failures,
    occupancy: `${Math.round((mem.used / mem.nslabs) * 100)}%`,
  });
}

function main(): void {
  // swiotlb-4k-50pct (engine.md §10): 64 MiB pool, 32,768 slots, 4 areas, v6.10; 8,192 live 4 KiB
  // maps (min_align 0, page-aligned orig), then pairs of "unmap a random live map, map a new 4 KiB".
  {
    const mem = createTlbMem({ rules: 'v6.10', defaultPool: { nslabs: 32768, nareas: 4, start: POOL_START } });
    const device: SwiotlbDevice = { minAlignMask: 0, segBoundaryMask: 0xffffffffn };
    const rng = createPrng(1);
    steadyState('swiotlb-4k-50pct', { mem, device, fill: 8192, pairs: 5_000_000, nextRequest: () => ({ orig: 0x100000000 + rng.nextInt(1 << 20) * 4096, size: 4096 }) });
  }
  // swiotlb-nvme-mixed: NVMe-style min_align 0xfff, sizes 512 B-128 KiB with random low bits.
  {
    const mem = createTlbMem({ rules: 'v6.10', defaultPool: { nslabs: 32768, nareas: 4, start: POOL_START } });
    const device: SwiotlbDevice = { minAlignMask: 0xfff, segBoundaryMask: 0xffffffffn };
    const rng = createPrng(2);
    const sizes = [512, 4096, 8192, 16384, 65536, 131072];
    steadyState('swiotlb-nvme-mixed', {
      mem, device, fill: 2000, pairs: 1_000_000,
      nextRequest: () => ({ orig: 0x100000000 + rng.nextInt(1 << 28) * 8 + rng.nextInt(8) * 512, size: sizes[rng.nextInt(sizes.length)]! }),
    });
  }
  // swiotlb-near-full: the pool kept ~95 % full with 4-16 KiB maps (long scans, cheap rejects, failures).
  {
    const mem = createTlbMem({ rules: 'v6.10', defaultPool: { nslabs: 32768, nareas: 4, start: POOL_START } });
    const device: SwiotlbDevice = { minAlignMask: 0, segBoundaryMask: 0xffffffffn };
    const rng = createPrng(3);
    steadyState('swiotlb-near-full', { mem, device, fill: 31130, pairs: 300_000, nextRequest: () => ({ orig: 0x100000000 + rng.nextInt(1 << 20) * 4096, size: 2048 * (1 + rng.nextInt(2)) }) });
  }
}

main();
