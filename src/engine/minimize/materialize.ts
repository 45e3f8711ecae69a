import { createPrng } from '../prng';
import type { NormalizedScenario } from '../spec/normalize';
import { ramRanges } from '../platforms/memory-layout';
import type { ExplicitOp, StreamSpec } from '../spec/scenario.schema';
import { specLimits } from '../spec/scenario.schema';

/**
 * Writes a stream workload out as an explicit op list, so delta debugging can remove single
 * calls. It follows the streams' contract (queueDepth requests in flight, a seeded-random one
 * completes when the queue is full, receive buffers get the device's write, coherent regions get
 * the driver's write, deferred work every deferredWorkEveryOps calls) but it is its own
 * generator: the minimizer first checks that the explicit list still shows the finding.
 */
export function materializeStreams(spec: NormalizedScenario, maxOps: number = specLimits.maxExplicitOps): ExplicitOp[] {
  const rng = createPrng(spec.workload.seed);
  const layout = ramRanges(spec.vm.layout, BigInt(spec.vm.memoryMiB) * 1024n * 1024n);
  const top = layout[layout.length - 1]!;
  // Buffers in the upper half of the highest RAM range: away from the boot pool in low memory.
  const regionStart = Number(top.start + (top.end - top.start) / 2n);
  const regionPages = Math.max(16, Math.floor(Number((top.end - top.start) / 2n) / 4096) - 256);
  const phys = (bytes: number): string =>
    `0x${(regionStart + rng.nextInt(Math.max(1, regionPages - Math.ceil(bytes / 4096))) * 4096).toString(16)}`;
  const streams = spec.workload.streams;
  const inFlight = streams.map(() => [] as string[]);
  const totalWeight = streams.reduce((s, x) => s + x.weight, 0);
  const ops: ExplicitOp[] = [];
  const limit = Math.min(maxOps, spec.workload.operations);
  const every = spec.kernel.config.deferredWorkEveryOps;
  let seq = 0;
  let calls = 0;
  while (ops.length < limit && streams.length > 0) {
    let ticket = rng.nextFloat() * totalWeight;
    const index = Math.max(
      0,
      streams.findIndex((s) => (ticket -= s.weight) < 0),
    );
    const stream = streams[index]!;
    const queue = inFlight[index]!;
    const issued =
      queue.length >= stream.queueDepth
        ? [complete(stream, queue, rng.nextInt(queue.length))]
        : issue(
            stream,
            `r${seq++}`,
            requestSize(stream, rng),
            (seq + index) % spec.vm.vcpus,
            direction(stream, rng),
            phys,
            queue,
          );
    ops.push(...issued);
    // Deferred work after every `every` calls (inserted run_deferred ops do not count), as import-trace does.
    const before = calls;
    calls += issued.length;
    if (Math.floor(calls / every) > Math.floor(before / every)) ops.push({ op: 'run_deferred' });
  }
  return ops.slice(0, limit);
}

function complete(stream: StreamSpec, queue: string[], victim: number): ExplicitOp {
  const id = queue[victim]!;
  queue[victim] = queue[queue.length - 1]!;
  queue.pop();
  if (stream.type === 'coherent-alloc') return { op: 'free_coherent', id };
  return stream.sgSegments > 1 ? { op: 'unmap_sg', id } : { op: 'unmap', id };
}

function issue(
  stream: StreamSpec,
  id: string,
  size: number,
  cpu: number,
  dir: 'to-device' | 'from-device' | 'bidirectional',
  phys: (bytes: number) => string,
  queue: string[],
): ExplicitOp[] {
  queue.push(id);
  if (stream.type === 'coherent-alloc') {
    return [
      { op: 'alloc_coherent', id, device: stream.device, size, gfp: stream.gfp, attrs: [] },
      { op: 'cpu_write', id, offset: 0, bytes: Math.min(size, 4096), data: stream.data },
    ];
  }
  const write: ExplicitOp[] =
    dir === 'from-device' ? [{ op: 'device_write', id, offset: 0, bytes: size, data: stream.data }] : [];
  if (stream.sgSegments > 1) {
    const each = Math.ceil(size / stream.sgSegments);
    const segments = Array.from({ length: stream.sgSegments }, (_, i) => ({
      size: Math.max(1, Math.min(each, size - i * each)),
      phys: phys(each),
      data: stream.data,
    }));
    return [{ op: 'map_sg', id, device: stream.device, segments, dir, attrs: [], cpu }, ...write];
  }
  return [
    {
      op: 'map',
      id,
      device: stream.device,
      buffer: { size, phys: phys(size), data: stream.data },
      dir,
      attrs: [],
      cpu,
    },
    ...write,
  ];
}

function requestSize(stream: StreamSpec, rng: ReturnType<typeof createPrng>): number {
  const sizes = stream.sizes;
  if (sizes.dist === 'fixed') return sizes.value;
  if (sizes.dist === 'choice') {
    const weights = sizes.weights ?? sizes.values.map(() => 1);
    let ticket = rng.nextFloat() * weights.reduce((a, b) => a + b, 0);
    const i = weights.findIndex((w) => (ticket -= w) < 0);
    return sizes.values[i < 0 ? sizes.values.length - 1 : i]!;
  }
  const align = sizes.alignBytes ?? 1;
  return Math.min(sizes.max, Math.ceil((sizes.min + rng.nextInt(sizes.max - sizes.min + 1)) / align) * align);
}

function direction(
  stream: StreamSpec,
  rng: ReturnType<typeof createPrng>,
): 'to-device' | 'from-device' | 'bidirectional' {
  if (stream.type === 'net-rx') return 'from-device';
  if (stream.type === 'net-tx') return 'to-device';
  if (stream.direction === 'mixed') return rng.nextInt(2) === 0 ? 'to-device' : 'from-device';
  return stream.direction;
}
