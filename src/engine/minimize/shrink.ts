import type { ExplicitOp } from '../spec/scenario.schema';

/**
 * Shrinks the byte counts of the remaining ops (buffer sizes, segment sizes, coherent sizes,
 * device/cpu write lengths): each is halved while the finding stays, smallest first tried.
 */
export function shrinkSizes(
  start: readonly ExplicitOp[],
  keeps: (ops: readonly ExplicitOp[]) => boolean,
  expired: () => boolean,
): { ops: readonly ExplicitOp[]; complete: boolean } {
  let ops = start;
  for (let i = 0; i < ops.length; i++) {
    for (let step = 0; step < 32; step++) {
      if (expired()) return { ops, complete: false };
      const smaller = halve(ops[i]!);
      if (smaller === null) break;
      const candidate = [...ops.slice(0, i), smaller, ...ops.slice(i + 1)];
      if (!keeps(candidate)) break;
      ops = candidate;
    }
  }
  return { ops, complete: true };
}

const half = (n: number): number => Math.max(1, Math.floor(n / 2));

function halve(op: ExplicitOp): ExplicitOp | null {
  switch (op.op) {
    case 'map':
      return op.buffer.size <= 1 ? null : { ...op, buffer: { ...op.buffer, size: half(op.buffer.size) } };
    case 'map_sg':
      if (op.segments.length > 1) return { ...op, segments: op.segments.slice(0, 1) };
      return op.segments[0]!.size <= 1
        ? null
        : { ...op, segments: [{ ...op.segments[0]!, size: half(op.segments[0]!.size) }] };
    case 'alloc_coherent':
      return op.size <= 1 ? null : { ...op, size: half(op.size) };
    case 'device_write':
    case 'cpu_write':
    case 'device_read':
      return op.bytes <= 1 ? null : { ...op, bytes: half(op.bytes) };
    default:
      return null;
  }
}
