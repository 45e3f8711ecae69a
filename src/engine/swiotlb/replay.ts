import { tblMapSingle, tblUnmapSingle } from './map-single';
import type { SwiotlbDevice } from './pool';
import { parseJsonLine } from './replay-json';
import { isAllocatorRules } from './rules';
import { createTlbMem, type TlbMem } from './tlb-mem';

/**
 * The trace replay interface of docs/engine-contract.md §6.1: the default-pool allocator alone. Record 1 sets up
 * the pool, device and rule set; then `map` / `unmap` ops. Output: one JSON line per map
 * (`{"id","slot","tlb"}` or `{"id","slot":-1}`), then `{"used","hiwater"}`. Records arrive parsed
 * (the CLI reads the JSON Lines; JSON syntax errors are its to report); every other input error is
 * data (`ReplayError`) naming the 1-based line. Nothing throws on bad input.
 *
 * Entry points: replaySwiotlbTrace(lines) for a whole trace given as text lines (blank lines are
 * skipped but counted); startReplayFromLine() + session.applyLine() for streaming (the CLI);
 * replayTrace(records) / startReplay(record) when the records are already parsed.
 */

export interface ReplayError {
  readonly lineNumber: number;
  readonly message: string;
}

export interface ReplaySession {
  /** Applies one parsed input record (1-based line number for errors); returns an output line, null, or an error. */
  apply(record: unknown, lineNumber: number): string | null | ReplayError;
  /** Parses and applies one text line; blank lines give null. */
  applyLine(line: string, lineNumber: number): string | null | ReplayError;
  /** The closing `{"used","hiwater"}` line. */
  finish(): string;
  readonly mem: TlbMem;
}

const hexPattern = /^0x[0-9a-fA-F]{1,16}$/;

function asObject(record: unknown, lineNumber: number): Record<string, unknown> | ReplayError {
  if (typeof record !== 'object' || record === null || Array.isArray(record))
    return { lineNumber, message: 'expected a JSON object' };
  return record as Record<string, unknown>;
}

function hexField(object: Record<string, unknown>, key: string, lineNumber: number, where = ''): bigint | ReplayError {
  const value = object[key];
  if (typeof value !== 'string' || !hexPattern.test(value))
    return { lineNumber, message: `${where}${key} must be a hex string like "0xfff", got ${JSON.stringify(value)}` };
  return BigInt(value);
}

function intField(
  object: Record<string, unknown>,
  key: string,
  lineNumber: number,
  min: number,
  max: number,
  where = '',
): number | ReplayError {
  const value = object[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    return {
      lineNumber,
      message: `${where}${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
    };
  }
  return value;
}

export function isReplayError(value: unknown): value is ReplayError {
  return typeof value === 'object' && value !== null && 'lineNumber' in value && 'message' in value;
}

/** Starts a replay from its setup line (line 1). */
export function startReplay(setupRecord: unknown, lineNumber = 1): ReplaySession | ReplayError {
  const setup = asObject(setupRecord, lineNumber);
  if (isReplayError(setup)) return setup;
  const pool = setup['pool'];
  const device = setup['device'];
  if (typeof pool !== 'object' || pool === null)
    return { lineNumber, message: 'setup line needs "pool": {"nslabs", "nareas", "start"}' };
  if (typeof device !== 'object' || device === null)
    return { lineNumber, message: 'setup line needs "device": {"minAlignMask", "segBoundaryMask"}' };
  if (!isAllocatorRules(setup['rules']))
    return { lineNumber, message: `rules must be "v6.6", "v6.9" or "v6.10", got ${JSON.stringify(setup['rules'])}` };
  const poolFields = pool as Record<string, unknown>;
  const deviceFields = device as Record<string, unknown>;
  const nslabs = intField(poolFields, 'nslabs', lineNumber, 1, 1 << 26, 'pool.');
  if (isReplayError(nslabs)) return nslabs;
  const nareas = intField(poolFields, 'nareas', lineNumber, 1, 1 << 16, 'pool.');
  if (isReplayError(nareas)) return nareas;
  if ((nareas & (nareas - 1)) !== 0 || nareas > nslabs)
    return { lineNumber, message: `pool.nareas must be a power of two no larger than nslabs, got ${nareas}` };
  const start = hexField(poolFields, 'start', lineNumber, 'pool.');
  if (isReplayError(start)) return start;
  if (start % 2048n !== 0n || start + BigInt(nslabs) * 2048n >= 2n ** 52n)
    return { lineNumber, message: 'pool.start must be 2 KiB aligned and the pool must end below 2^52' };
  const minAlignMask = hexField(deviceFields, 'minAlignMask', lineNumber, 'device.');
  if (isReplayError(minAlignMask)) return minAlignMask;
  if (minAlignMask > 0xffffn || (minAlignMask & (minAlignMask + 1n)) !== 0n)
    return { lineNumber, message: 'device.minAlignMask must be 2^n - 1, at most 0xffff' };
  const segBoundaryMask = hexField(deviceFields, 'segBoundaryMask', lineNumber, 'device.');
  if (isReplayError(segBoundaryMask)) return segBoundaryMask;
  if (segBoundaryMask < 0xfffn || (segBoundaryMask & (segBoundaryMask + 1n)) !== 0n)
    return { lineNumber, message: 'device.segBoundaryMask must be 2^n - 1, at least 0xfff' };

  const mem = createTlbMem({ rules: setup['rules'], defaultPool: { nslabs, nareas, start: Number(start) } });
  const swiotlbDevice: SwiotlbDevice = { minAlignMask: Number(minAlignMask), segBoundaryMask };
  const live = new Map<string, number>();

  const session: ReplaySession = {
    mem,
    applyLine(line, opLineNumber) {
      if (isBlank(line)) return null;
      const parsed = parseJsonLine(line);
      if (!parsed.ok) return { lineNumber: opLineNumber, message: `malformed JSON: ${parsed.message}` };
      return session.apply(parsed.value, opLineNumber);
    },
    apply(record, opLineNumber) {
      const op = asObject(record, opLineNumber);
      if (isReplayError(op)) return op;
      const id = op['id'];
      if (typeof id !== 'string' || id === '') return { lineNumber: opLineNumber, message: 'op needs a string "id"' };
      if (op['op'] === 'map') {
        if (live.has(id)) return { lineNumber: opLineNumber, message: `id ${JSON.stringify(id)} is already mapped` };
        const cpu = intField(op, 'cpu', opLineNumber, 0, 1 << 20);
        if (isReplayError(cpu)) return cpu;
        const size = intField(op, 'size', opLineNumber, 1, 1 << 30);
        if (isReplayError(size)) return size;
        const orig = hexField(op, 'orig', opLineNumber);
        if (isReplayError(orig)) return orig;
        if (orig >= 2n ** 52n) return { lineNumber: opLineNumber, message: 'orig must be below 2^52' };
        const allocAlignMask = op['allocAlignMask'] === undefined ? 0n : hexField(op, 'allocAlignMask', opLineNumber);
        if (isReplayError(allocAlignMask)) return allocAlignMask;
        if (allocAlignMask >= 2n ** 31n || (allocAlignMask & (allocAlignMask + 1n)) !== 0n)
          return { lineNumber: opLineNumber, message: 'allocAlignMask must be 2^n - 1 below 2^31' };
        const tlb = tblMapSingle(mem, swiotlbDevice, cpu, Number(orig), size, Number(allocAlignMask));
        if (tlb < 0) return `{"id":${JSON.stringify(id)},"slot":-1}`;
        live.set(id, tlb);
        return `{"id":${JSON.stringify(id)},"slot":${mem.lastSlot},"tlb":"0x${tlb.toString(16)}"}`;
      }
      if (op['op'] === 'unmap') {
        const tlb = live.get(id);
        if (tlb === undefined)
          return { lineNumber: opLineNumber, message: `unmap of unknown id ${JSON.stringify(id)}` };
        live.delete(id);
        tblUnmapSingle(mem, swiotlbDevice, tlb);
        return null;
      }
      return {
        lineNumber: opLineNumber,
        message: `unknown op ${JSON.stringify(op['op'])} (expected "map" or "unmap")`,
      };
    },
    finish() {
      return `{"used":${mem.used},"hiwater":${mem.hiwater}}`;
    },
  };
  return session;
}

function isBlank(line: string): boolean {
  return /^\s*$/.test(line);
}

/** Starts a replay from the text of its setup line. */
export function startReplayFromLine(line: string, lineNumber = 1): ReplaySession | ReplayError {
  const parsed = parseJsonLine(line);
  if (!parsed.ok) return { lineNumber, message: `malformed JSON: ${parsed.message}` };
  return startReplay(parsed.value, lineNumber);
}

/**
 * Replays a whole trace given as text lines (line i of the iterable is line i + 1 of the file):
 * the first non-blank line sets up the pool. Returns the output lines (one per map, then
 * `{"used","hiwater"}`) or the first input error with its line number.
 */
export function replaySwiotlbTrace(
  lines: Iterable<string>,
): { ok: true; output: string[] } | { ok: false; error: ReplayError } {
  let session: ReplaySession | null = null;
  let lineNumber = 0;
  const output: string[] = [];
  for (const line of lines) {
    lineNumber++;
    if (isBlank(line)) continue;
    if (session === null) {
      const started = startReplayFromLine(line, lineNumber);
      if (isReplayError(started)) return { ok: false, error: started };
      session = started;
      continue;
    }
    const result = session.applyLine(line, lineNumber);
    if (result === null) continue;
    if (typeof result !== 'string') return { ok: false, error: result };
    output.push(result);
  }
  if (session === null)
    return {
      ok: false,
      error: { lineNumber: Math.max(lineNumber, 1), message: 'empty trace: the first line must set up the pool' },
    };
  output.push(session.finish());
  return { ok: true, output };
}

/** Replays a whole trace given as parsed records (record i came from line i + 1); returns the output lines or the first input error. */
export function replayTrace(
  records: readonly unknown[],
): { ok: true; output: string[] } | { ok: false; error: ReplayError } {
  if (records.length === 0)
    return { ok: false, error: { lineNumber: 1, message: 'empty trace: the first line must set up the pool' } };
  const session = startReplay(records[0], 1);
  if (isReplayError(session)) return { ok: false, error: session };
  const output: string[] = [];
  for (let i = 1; i < records.length; i++) {
    const result = session.apply(records[i], i + 1);
    if (result === null) continue;
    if (typeof result !== 'string') return { ok: false, error: result };
    output.push(result);
  }
  output.push(session.finish());
  return { ok: true, output };
}
