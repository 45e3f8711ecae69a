import type { Prng } from '../prng';
import type { NormalizedScenario } from '../spec/normalize';
import type { DmaDirection } from '../spec/names';
import type { StreamSpec } from '../spec/scenario.schema';
import type { LoweredOp } from './lowered-op';

interface StreamState {
  readonly spec: StreamSpec;
  readonly index: number;
  /** Ids of requests in flight, in issue order. */
  readonly inFlight: string[];
  /** Ops queued for the request being issued or completed (map then device_write, etc.). */
  nextId: number;
  cpu: number;
}

/** Where generated buffers live: page-aligned addresses in guest RAM the pools do not use. */
export interface BufferRegion {
  readonly start: number;
  readonly pages: number;
}

/**
 * Lowers the spec's streams into DMA API calls (engine.md §4): each stream keeps `queueDepth`
 * requests in flight; when it is full a seeded-random request completes (unmap / free), otherwise a
 * new one is issued (map, possibly split at the device's max mapping size, or map_sg of
 * `sgSegments` segments; receive buffers also get the device's write). Streams are picked by weight.
 */
export class StreamGenerator {
  private readonly streams: StreamState[];
  private readonly totalWeight: number;
  private readonly pending: LoweredOp[] = [];

  constructor(
    spec: NormalizedScenario,
    private readonly rng: Prng,
    private readonly region: BufferRegion,
    private readonly maxMappingBytes: (deviceId: string) => number,
    private readonly vcpus: number,
    /** Called when the block layer splits a request at the device's max mapping size (F15). */
    private readonly onSplit: (deviceId: string) => void = () => undefined,
  ) {
    this.streams = spec.workload.streams.map((stream, index) => ({ spec: stream, index, inFlight: [], nextId: 0, cpu: index % vcpus }));
    this.totalWeight = this.streams.reduce((sum, s) => sum + s.spec.weight, 0);
  }

  get isEmpty(): boolean {
    return this.streams.length === 0;
  }

  next(): LoweredOp {
    const queued = this.pending.shift();
    if (queued) return queued;
    const stream = this.pickStream();
    const full = stream.inFlight.length >= stream.spec.queueDepth;
    if (full) this.complete(stream);
    else this.issue(stream);
    return this.pending.shift()!;
  }

  private pickStream(): StreamState {
    if (this.streams.length === 1) return this.streams[0]!;
    let ticket = this.rng.nextFloat() * this.totalWeight;
    for (const stream of this.streams) {
      ticket -= stream.spec.weight;
      if (ticket < 0) return stream;
    }
    return this.streams[this.streams.length - 1]!;
  }

  private size(stream: StreamState): number {
    const sizes = stream.spec.sizes;
    if (sizes.dist === 'fixed') return sizes.value;
    if (sizes.dist === 'choice') {
      const weights = sizes.weights ?? sizes.values.map(() => 1);
      let ticket = this.rng.nextFloat() * weights.reduce((a, b) => a + b, 0);
      for (let i = 0; i < sizes.values.length; i++) {
        ticket -= weights[i]!;
        if (ticket < 0) return sizes.values[i]!;
      }
      return sizes.values[sizes.values.length - 1]!;
    }
    const align = sizes.alignBytes ?? 1;
    const raw = sizes.min + this.rng.nextInt(sizes.max - sizes.min + 1);
    return Math.min(sizes.max, Math.ceil(raw / align) * align);
  }

  private direction(stream: StreamState): DmaDirection {
    const spec = stream.spec;
    if (spec.type === 'net-rx') return 'from-device';
    if (spec.type === 'net-tx') return 'to-device';
    if (spec.direction === 'mixed') return this.rng.nextInt(2) === 0 ? 'to-device' : 'from-device';
    return spec.direction;
  }

  private phys(bytes: number): number {
    const pages = Math.max(1, Math.ceil(bytes / 4096));
    const page = this.rng.nextInt(Math.max(1, this.region.pages - pages));
    return this.region.start + page * 4096;
  }

  private issue(stream: StreamState): void {
    const spec = stream.spec;
    const cpu = stream.cpu;
    stream.cpu = (stream.cpu + this.streams.length) % this.vcpus;
    const id = `s${stream.index}-${stream.nextId++}`;
    if (spec.type === 'coherent-alloc') {
      const size = this.size(stream);
      this.pending.push({ kind: 'alloc_coherent', id, device: spec.device, size, gfp: spec.gfp });
      this.pending.push({ kind: 'cpu_write', id, offset: 0, bytes: Math.min(size, 4096), data: spec.data });
      stream.inFlight.push(id);
      return;
    }
    const dir = this.direction(stream);
    const total = this.size(stream);
    // The block layer never hands the driver more than dma_max_mapping_size() per segment.
    const maxSegment = Math.max(512, Math.min(this.maxMappingBytes(spec.device), spec.type === 'block' ? Number.MAX_SAFE_INTEGER : total));
    const segmentCount = Math.max(spec.sgSegments, Math.ceil(total / maxSegment));
    if (spec.type === 'block' && total > maxSegment) this.onSplit(spec.device);
    const perSegment = Math.ceil(total / segmentCount);
    const segments = Array.from({ length: segmentCount }, (_, i) => {
      const size = Math.min(perSegment, total - i * perSegment);
      return { phys: this.phys(size), size: Math.max(1, size), data: spec.data };
    });
    this.pending.push({ kind: 'map', id, device: spec.device, sg: segmentCount > 1, segments, dir, attrs: [], cpu });
    if (dir === 'from-device') this.pending.push({ kind: 'device_write', id, offset: 0, bytes: total, data: spec.data });
    stream.inFlight.push(id);
  }

  private complete(stream: StreamState): void {
    const victim = this.rng.nextInt(stream.inFlight.length);
    const [id] = stream.inFlight.splice(victim, 1);
    this.pending.push(stream.spec.type === 'coherent-alloc' ? { kind: 'free_coherent', id: id! } : { kind: 'unmap', id: id! });
  }
}
