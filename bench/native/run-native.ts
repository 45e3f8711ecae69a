// Builds and runs the native allocator baseline (swiotlb-4k-50pct.c) for bench:engine.
// Compiled with `gcc -O2` on first use into a temporary directory keyed by the source's hash, so
// an edited source is rebuilt and an unchanged one is reused. Returns null (with the reason) when
// gcc is missing or the build fails: the bench then prints a skip line instead of a ratio.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NativeResult {
  readonly pairs: number;
  readonly cpuSeconds: number;
  readonly cpuPairsPerSec: number;
  /** FNV-style hash of every slot index the timed loop mapped; equals the JS side's when both did the same work. */
  readonly checksum: number;
  readonly failedMaps: number;
  readonly used: number;
  readonly hiwater: number;
}

export type NativeOutcome = { readonly ok: true; readonly result: NativeResult } | { readonly ok: false; readonly reason: string };

// Next to this file under tsx; from the repository root when the bench runs as compiled JS elsewhere.
const SOURCE = [join(__dirname, 'swiotlb-4k-50pct.c'), join(process.cwd(), 'bench', 'native', 'swiotlb-4k-50pct.c')].find((path) => existsSync(path));

function buildNative(): { ok: true; binary: string } | { ok: false; reason: string } {
  if (SOURCE === undefined) return { ok: false, reason: 'bench/native/swiotlb-4k-50pct.c not found (run from the repository root)' };
  const source = readFileSync(SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'dmasim-native-bench');
  const binary = join(dir, `swiotlb-4k-50pct-${hash}`);
  if (existsSync(binary)) return { ok: true, binary };
  mkdirSync(dir, { recursive: true });
  const gcc = spawnSync('gcc', ['-O2', '-o', binary, SOURCE], { encoding: 'utf8' });
  if (gcc.error !== undefined) return { ok: false, reason: `gcc not found (${gcc.error.message})` };
  if (gcc.status !== 0) return { ok: false, reason: `gcc -O2 failed: ${gcc.stderr.trim()}` };
  return { ok: true, binary };
}

/** Runs `pairs` timed map/unmap pairs natively with the given xorshift32 seed and device min_align_mask. */
export function runNativeSwiotlb4k(pairs: number, seed: number, minAlignMask: number): NativeOutcome {
  const build = buildNative();
  if (!build.ok) return build;
  const run = spawnSync(build.binary, [String(pairs), String(seed), String(minAlignMask)], { encoding: 'utf8' });
  if (run.error !== undefined || run.status !== 0) return { ok: false, reason: `native run failed: ${run.error?.message ?? run.stderr.trim()}` };
  return { ok: true, result: JSON.parse(run.stdout) as NativeResult };
}
