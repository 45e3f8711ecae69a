import type { Prng } from '../prng';
import type { NormalizedScenario } from '../spec/normalize';
import type { DmaDirection, SpecDataClass } from '../spec/names';
import type { StreamSpec } from '../spec/scenario.schema';
import type { LoweredOp } from './lowered-op';

interface StreamState {
  readonly spec: StreamSpec;
  readonly index: number;
  /** Ids of requests in flight (unordered: completion picks a seeded-random one and swap-removes it). */
  readonly inFlight: number[];
  nextSeq: number;
  cpu: number;
  readonly choiceTotal: number;
}

/** Where generated buffers live: page-aligned addresses in guest RAM the pools do not use. */
export interface BufferRegion {
  readonly start: number;
  readonly pages: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type MapOp = Mutable<Extract<LoweredOp, { kind: 'map' }>>;
interface Segment {
  phys: number;
  size: number;
  data: SpecDataClass;
}

const noAttrs: readonly [] = [];

/**
 * Lowers the spec's streams into DMA API calls (docs/engine-contract.md §4): each stream keeps `queueDepth`
 * requests in flight; when it is full a seeded-random request completes (unmap / free), otherwise a
 * new one is issued (map, possibly split at the device's max mapping size, or map_sg of
 * `sgSegments` segments; receive buffers also get the device's write). Streams are picked by weight.
 *
 * Allocation-free in the steady state: request ids are numbers, the ops handed out are a handful of
 * reused objects (the run consumes each op before asking for the next one and keeps nothing of it),
 * and completed requests are swap-removed from the in-flight list.
 */
export class StreamGenerator {
  private readonly streams: StreamState[];
  private readonly totalWeight: number;
  /** Ops queued for the request being issued (map then device_write, alloc then cpu_write). */
  private readonly pending: LoweredOp[] = [];
  private pendingHead = 0;
  private pendingTail = 0;
  private readonly mapOp: MapOp = {
    kind: 'map',
    id: 0,
    device: '',
    sg: false,
    segments: [],
    dir: 'to-device',
    attrs: noAttrs,
    cpu: 0,
  };
  private readonly segmentPool: Segment[] = [];
  private readonly segments: Segment[] = [];
  private readonly writeOp: Mutable<Extract<LoweredOp, { kind: 'device_write' }>> = {
    kind: 'device_write',
    id: 0,
    offset: 0,
    bytes: 0,
    data: 'public',
  };
  private readonly unmapOp: Mutable<Extract<LoweredOp, { kind: 'unmap' }>> = {
    kind: 'unmap',
    id: 0,
    skipCpuSync: false,
  };
  private readonly allocOp: Mutable<Extract<LoweredOp, { kind: 'alloc_coherent' }>> = {
    kind: 'alloc_coherent',
    id: 0,
    device: '',
    size: 0,
    gfp: 'blocking',
    noWarn: false,
  };
  private readonly cpuWriteOp: Mutable<Extract<LoweredOp, { kind: 'cpu_write' }>> = {
    kind: 'cpu_write',
    id: 0,
    offset: 0,
    bytes: 0,
    data: 'public',
  };
  private readonly freeOp: Mutable<Extract<LoweredOp, { kind: 'free_coherent' }>> = { kind: 'free_coherent', id: 0 };

  constructor(
    spec: NormalizedScenario,
    private readonly rng: Prng,
    private readonly region: BufferRegion,
    private readonly maxMappingBytes: (deviceId: string) => number,
    private readonly vcpus: number,
    /** Called when the block layer splits a request at the device's max mapping size (F15). */
    private readonly onSplit: (deviceId: string) => void = () => undefined,
  ) {
    this.streams = spec.workload.streams.map((stream, index) => ({
      spec: stream,
      index,
      inFlight: [],
      nextSeq: 0,
      cpu: index % vcpus,
      choiceTotal:
        stream.sizes.dist === 'choice'
          ? (stream.sizes.weights ?? stream.sizes.values.map(() => 1)).reduce((a, b) => a + b, 0)
          : 0,
    }));
    this.totalWeight = this.streams.reduce((sum, s) => sum + s.spec.weight, 0);
    this.mapOp.segments = this.segments;
  }

  get isEmpty(): boolean {
    return this.streams.length === 0;
  }

  next(): LoweredOp {
    if (this.pendingHead < this.pendingTail) return this.shift();
    const stream = this.pickStream();
    const full = stream.inFlight.length >= stream.spec.queueDepth;
    if (full) this.complete(stream);
    else this.issue(stream);
    return this.shift();
  }

  private shift(): LoweredOp {
    const op = this.pending[this.pendingHead++]!;
    if (this.pendingHead === this.pendingTail) this.pendingHead = this.pendingTail = 0;
    return op;
  }

  private push(op: LoweredOp): void {
    this.pending[this.pendingTail++] = op;
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
      const weights = sizes.weights;
      let ticket = this.rng.nextFloat() * stream.choiceTotal;
      for (let i = 0; i < sizes.values.length; i++) {
        ticket -= weights ? weights[i]! : 1;
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
    // Unique per run: stream index + number of streams × sequence number.
    const id = stream.index + this.streams.length * stream.nextSeq++;
    if (spec.type === 'coherent-alloc') {
      const size = this.size(stream);
      const alloc = this.allocOp;
      alloc.id = id;
      alloc.device = spec.device;
      alloc.size = size;
      alloc.gfp = spec.gfp;
      const write = this.cpuWriteOp;
      write.id = id;
      write.bytes = Math.min(size, 4096);
      write.data = spec.data;
      this.push(alloc);
      this.push(write);
      stream.inFlight.push(id);
      return;
    }
    const dir = this.direction(stream);
    const total = this.size(stream);
    // The block layer never hands the driver more than dma_max_mapping_size() per segment.
    const maxSegment = Math.max(
      512,
      Math.min(this.maxMappingBytes(spec.device), spec.type === 'block' ? Number.MAX_SAFE_INTEGER : total),
    );
    const segmentCount = Math.max(spec.sgSegments, Math.ceil(total / maxSegment));
    if (spec.type === 'block' && total > maxSegment) this.onSplit(spec.device);
    const perSegment = Math.ceil(total / segmentCount);
    const segments = this.segments;
    if (segments.length !== segmentCount) segments.length = 0;
    for (let i = 0; i < segmentCount; i++) {
      const size = Math.min(perSegment, total - i * perSegment);
      let segment = this.segmentPool[i];
      if (!segment) {
        segment = { phys: 0, size: 0, data: 'public' };
        this.segmentPool.push(segment);
      }
      segment.phys = this.phys(size);
      segment.size = Math.max(1, size);
      segment.data = spec.data;
      segments[i] = segment;
    }
    const map = this.mapOp;
    map.id = id;
    map.device = spec.device;
    map.sg = segmentCount > 1;
    map.dir = dir;
    map.cpu = cpu;
    this.push(map);
    if (dir === 'from-device') {
      const write = this.writeOp;
      write.id = id;
      write.bytes = total;
      write.data = spec.data;
      this.push(write);
    }
    stream.inFlight.push(id);
  }

  private complete(stream: StreamState): void {
    const inFlight = stream.inFlight;
    const victim = this.rng.nextInt(inFlight.length);
    const id = inFlight[victim]!;
    inFlight[victim] = inFlight[inFlight.length - 1]!;
    inFlight.pop();
    if (stream.spec.type === 'coherent-alloc') {
      this.freeOp.id = id;
      this.push(this.freeOp);
    } else {
      this.unmapOp.id = id;
      this.push(this.unmapOp);
    }
  }
}
