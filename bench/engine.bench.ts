// npm run bench:engine [-- --json] [-- --case=NAME] [-- --no-native] — engine benchmarks. One line per case with
// ops/s, slots scanned per op and peak heap; --json prints one JSON object per line instead.
// Case names are stable so numbers compare across commits. Only the steady phase is timed.
// swiotlb-4k-50pct also runs the native C baseline (bench/native/) on the same workload and prints
// the ratio of pairs per CPU-second, JS / native.
import {
  createTlbMem,
  type SwiotlbDevice,
  tblMapSingle,
  tblUnmapSingle,
  type TlbMem,
} from '../src/engine/swiotlb/index';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createEngineRun } from '../src/engine/index';
import { validateScenario } from '../src/engine/spec/validate';
import { type NativeResult, runNativeSwiotlb4k } from './native/run-native';

const asJson = process.argv.includes('--json');
// --no-native skips the C baseline (e.g. to compare JS variants quickly).
const withNative = !process.argv.includes('--no-native');
const only = process.argv.find((arg) => arg.startsWith('--case='))?.slice('--case='.length);
const POOL_START = 0x80000000;
// The targets the benches print against (issue #17; printed, never asserted): the allocator at
// half the native kernel allocator's pairs per CPU-second, the full engine at 2 M operations per
// CPU-second on engine-block-10m within 200 MiB of RSS.
const TARGET_NATIVE_RATIO = 0.5;
const TARGET_ENGINE_CPU_OPS_PER_SEC = 2_000_000;
const TARGET_ENGINE_RSS_MIB = 200;

// Bound once: calls through the compiled module's export getters cost measurably per operation.
const mapSingle = tblMapSingle;
const unmapSingle = tblUnmapSingle;

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
  const extras = Object.entries(extra)
    .map(([k, v]) => `${k}=${v}`)
    .join('  ');
  // Allocator cases count map+unmap pairs; full-engine cases count workload operations.
  const unit = name.startsWith('swiotlb-') ? 'pairs/s' : 'ops/s  ';
  process.stdout.write(
    `${name.padEnd(20)} ${Math.round(opsPerSec).toLocaleString('en-US').padStart(11)} ${unit}  ${slotsScannedPerOp.toFixed(2).padStart(7)} slots scanned/op  peak heap ${(peakHeapBytes / 2 ** 20).toFixed(1)} MiB  ${extras}\n`,
  );
}

/**
 * The allocator cases' PRNG: xorshift32 (Marsaglia; x ^= x << 13; x ^= x >>> 17; x ^= x << 5),
 * three shift-xors per draw, the same generator and draw order as the native baseline, so both
 * sides measure the allocator rather than the generator. Bench-only: the engine keeps its
 * xoshiro128** (src/engine/prng.ts). below(n) has a bias below n / 2^32, identical on both sides.
 */
class Xorshift32 {
  private state: number;
  constructor(seed: number) {
    if ((seed | 0) === 0) throw new Error('xorshift32 seed must be a non-zero 32-bit integer');
    this.state = seed | 0;
  }
  nextU32(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x;
    return x >>> 0;
  }
  /**
   * A draw in [0, n) by multiply-shift, floor(u32 * n / 2^32) (Lemire), instead of `% n`: no
   * division on either side. Exact here: the product is below 2^53 and 2^-32 is a power of two.
   */
  below(n: number): number {
    return Math.floor(this.nextU32() * n * (1 / 4294967296));
  }
}

/** Draws the next request into `request` (no allocation per op). */
type NextRequest = (rng: Xorshift32, request: { orig: number; size: number }) => void;

/**
 * A full garbage collection just before a timed phase. What loading left behind (under tsx also its
 * transpiler's garbage) was otherwise collected inside the allocator's timed loop, which allocates
 * nothing itself: a 20-30 ms full collection there cost tsx runs 1.5-2 % of their pairs/CPU-s,
 * while compiled runs collected after the loop.
 */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/**
 * Fills the pool with `fill` live maps, then times `pairs` of "unmap a random live mapping, map a
 * new buffer" with the CPU round-robin over 4 areas. opsPerSec counts pairs per second.
 */
function steadyState(
  name: string,
  mem: TlbMem,
  device: SwiotlbDevice,
  fill: number,
  pairs: number,
  seed: number,
  next: NextRequest,
): CaseResult {
  const rng = new Xorshift32(seed);
  const request = { orig: 0, size: 0 };
  const live = new Float64Array(fill);
  let liveCount = 0;
  let cpu = 0;
  while (liveCount < fill) {
    next(rng, request);
    const tlb = mapSingle(mem, device, cpu++ & 3, request.orig, request.size, 0);
    if (tlb < 0) break;
    live[liveCount++] = tlb;
  }
  const scannedBefore = mem.stats.slotsScanned;
  const failedBefore = mem.stats.failedMaps;
  const heapBefore = process.memoryUsage().heapUsed;
  let peakHeapBytes = heapBefore;
  // Same hash as the native baseline's: every mapped slot index, so equal checksums prove equal work.
  const poolStart = mem.pools[0]!.start;
  let checksum = 0;
  collectGarbage();
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < pairs; i++) {
    const victim = rng.below(liveCount);
    unmapSingle(mem, device, live[victim]!);
    next(rng, request);
    const tlb = mapSingle(mem, device, cpu++ & 3, request.orig, request.size, 0);
    if (tlb >= 0) {
      live[victim] = tlb;
      checksum = Math.imul(checksum ^ ((tlb - poolStart) >>> 11), 16777619);
    } else live[victim] = live[--liveCount]!;
    if ((i & 0xfffff) === 0) peakHeapBytes = Math.max(peakHeapBytes, process.memoryUsage().heapUsed);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuUsed = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpuUsed.user + cpuUsed.system) / 1e6;
  peakHeapBytes = Math.max(peakHeapBytes, process.memoryUsage().heapUsed);
  return {
    case: name,
    opsPerSec: Math.round(pairs / seconds),
    slotsScannedPerOp: Number(((mem.stats.slotsScanned - scannedBefore) / pairs).toFixed(3)),
    peakHeapBytes,
    // Pairs per CPU-second of this process: the same rate as opsPerSec on an idle machine, and
    // steadier when other processes compete for the cores.
    cpuOpsPerSec: Math.round(pairs / cpuSeconds),
    pairs,
    failedMaps: mem.stats.failedMaps - failedBefore,
    occupancy: `${Math.round((mem.used / mem.nslabs) * 100)}%`,
    used: mem.used,
    hiwater: mem.hiwater,
    checksum: checksum >>> 0,
  };
}

/**
 * The JS line plus the native baseline: `native <pairs per CPU-second> ratio <JS / native>`, both
 * per CPU-second of their own process. Exits non-zero when the checksums differ: the two sides
 * then did different work and the ratio means nothing.
 */
function reportWithNative(result: CaseResult, native: NativeResult): void {
  const ratio = Number((Number(result.cpuOpsPerSec) / native.cpuPairsPerSec).toFixed(3));
  const checksumsMatch = native.checksum === result.checksum && native.used === Number(result.used);
  if (asJson) {
    process.stdout.write(
      `${JSON.stringify({ ...result, nativeCpuPairsPerSec: native.cpuPairsPerSec, nativeChecksum: native.checksum, ratio })}\n`,
    );
  } else {
    report(result);
    process.stdout.write(
      `${result.case.padEnd(20)} ${Math.round(Number(result.cpuOpsPerSec)).toLocaleString('en-US').padStart(11)} pairs/CPU-s  native ${Math.round(native.cpuPairsPerSec).toLocaleString('en-US')} pairs/CPU-s  ratio ${ratio.toFixed(3)}  (gcc -O2, same workload and xorshift32; checksums ${checksumsMatch ? 'match' : 'DIFFER'})  target ≥ ${TARGET_NATIVE_RATIO.toFixed(3)}: ${ratio >= TARGET_NATIVE_RATIO ? 'met' : 'not met'}\n`,
    );
  }
  if (!checksumsMatch) {
    process.stderr.write(
      `swiotlb-4k-50pct: JS and native did different work (checksum ${result.checksum} vs ${native.checksum}, used ${result.used} vs ${native.used})\n`,
    );
    process.exitCode = 1;
  }
}

const cases: Record<string, () => void> = {
  // The engine's stated allocator target, exactly: 64 MiB pool (32,768 slots, 4 areas, v6.10),
  // 8,192 live 4 KiB maps (min_align 0, page-aligned orig), then pairs of "unmap a random live
  // map, map a new 4 KiB". bench/native/swiotlb-4k-50pct.c runs the same workload in C.
  'swiotlb-4k-50pct': () => {
    const mem = createTlbMem({ rules: 'v6.10', defaultPool: { nslabs: 32768, nareas: 4, start: POOL_START } });
    const device: SwiotlbDevice = { minAlignMask: 0, segBoundaryMask: 0xffffffffn };
    const pairs = 20_000_000;
    const result = steadyState('swiotlb-4k-50pct', mem, device, 8192, pairs, 1, (rng, r) => {
      r.orig = 0x100000000 + (rng.nextU32() >>> 12) * 4096;
      r.size = 4096;
    });
    if (!withNative) return report(result);
    const native = runNativeSwiotlb4k(pairs, 1, device.minAlignMask);
    if (!native.ok) {
      report(result);
      process.stdout.write(`swiotlb-4k-50pct     native skipped: ${native.reason}\n`);
      return;
    }
    reportWithNative(result, native.result);
  },
  // NVMe-style: min_align 0xfff, sizes 512 B–128 KiB, original addresses with random low bits
  // (8-byte aligned), 4 areas, v6.10, ~60 % occupancy.
  'swiotlb-nvme-mixed': () => {
    const mem = createTlbMem({ rules: 'v6.10', defaultPool: { nslabs: 32768, nareas: 4, start: POOL_START } });
    const device: SwiotlbDevice = { minAlignMask: 0xfff, segBoundaryMask: 0xffffffffn };
    const sizes = [512, 4096, 4096, 8192, 16384, 65536, 131072];
    report(
      steadyState('swiotlb-nvme-mixed', mem, device, 1500, 2_000_000, 2, (rng, r) => {
        r.orig = 0x100000000 + rng.nextU32() * 8;
        r.size = sizes[rng.below(sizes.length)]!;
      }),
    );
  },
  // The pool kept ~95 % full with 2–4 KiB maps: long scans, cheap rejects and some failures.
  'swiotlb-near-full': () => {
    const mem = createTlbMem({ rules: 'v6.10', defaultPool: { nslabs: 32768, nareas: 4, start: POOL_START } });
    const device: SwiotlbDevice = { minAlignMask: 0, segBoundaryMask: 0xffffffffn };
    report(
      steadyState('swiotlb-near-full', mem, device, 20_750, 1_000_000, 3, (rng, r) => {
        r.orig = 0x100000000 + (rng.nextU32() >>> 12) * 4096;
        r.size = 2048 * (1 + (rng.nextU32() & 1));
      }),
    );
  },
  // The full engine: a generated block workload on an SNP guest, NVMe with mixed
  // sizes through dma-direct decisions, the allocator and exposure tracking. opsPerSec counts
  // lowered operations (maps, unmaps, device writes); peak heap shows memory stays bounded.
  'engine-block-1m': () => fullEngine('engine-block-1m', 1_000_000),
  'engine-block-10m': () => fullEngine('engine-block-10m', 10_000_000),
};

function fullEngine(name: string, operations: number): void {
  const checked = validateScenario({
    apiVersion: 'dmasim/v1',
    name,
    vm: { platform: 'sev-snp', memoryMiB: 16384, vcpus: 16 },
    kernel: { profile: 'v7.2' },
    devices: [{ id: 'nvme0', kind: 'nvme' }],
    workload: {
      seed: 1,
      operations,
      streams: [
        {
          device: 'nvme0',
          type: 'block',
          data: 'secret',
          sizes: { dist: 'choice', values: [4096, 16384, 65536, 131072], weights: [8, 4, 2, 1] },
          queueDepth: 128,
        },
      ],
    },
  });
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
  const run = createEngineRun(checked.spec);
  const rssBefore = process.memoryUsage().rss;
  let peakHeapBytes = process.memoryUsage().heapUsed;
  let peakRssBytes = rssBefore;
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  while (!run.step(100_000)) {
    const usage = process.memoryUsage();
    peakHeapBytes = Math.max(peakHeapBytes, usage.heapUsed);
    peakRssBytes = Math.max(peakRssBytes, usage.rss);
  }
  const engineReport = run.finish();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpuUsed = process.cpuUsage(cpuBefore);
  const cpuOpsPerSec = Math.round(run.operationsDone / ((cpuUsed.user + cpuUsed.system) / 1e6));
  const peakRssMiB = Math.round(peakRssBytes / 2 ** 20);
  report({
    case: name,
    opsPerSec: run.operationsDone / seconds,
    cpuOpsPerSec,
    slotsScannedPerOp: Number(engineReport.metrics['swiotlb.slotsScannedPerMap']),
    peakHeapBytes,
    operations: run.operationsDone,
    rssGrowthMiB: Math.round((peakRssBytes - rssBefore) / 2 ** 20),
    peakRssMiB,
    violations: engineReport.violations.length,
  });
  if (name === 'engine-block-10m' && !asJson) {
    const met = cpuOpsPerSec >= TARGET_ENGINE_CPU_OPS_PER_SEC && peakRssMiB < TARGET_ENGINE_RSS_MIB;
    process.stdout.write(
      `${name.padEnd(20)} target ≥ ${TARGET_ENGINE_CPU_OPS_PER_SEC.toLocaleString('en-US')} ops/CPU-s under ${TARGET_ENGINE_RSS_MIB} MiB RSS: ${met ? 'met' : 'not met'}\n`,
    );
  }
}

for (const [name, run] of Object.entries(cases)) if (only === undefined || only === name) run();
