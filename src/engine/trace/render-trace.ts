import type { ExplicitOp } from '../spec/scenario.schema';

/**
 * Prints explicit ops the way the kernel's dma tracepoints would (the v6.18+ dma_map_phys names
 * and formats), for round-trip tests and for producing sample traces. Device names are the spec's
 * device ids; dma_addr is a made-up unique bus address per mapping (the importer only pairs on
 * it). Ops the kernel does not trace (device/cpu reads and writes, deferred work, accept/reject)
 * print nothing.
 */
export type TraceShape = 'tracefs' | 'trace-cmd';

const dirNames = { 'to-device': 'TO_DEVICE', 'from-device': 'FROM_DEVICE', bidirectional: 'BIDIRECTIONAL' } as const;

interface Live {
  readonly device: string;
  readonly dir: keyof typeof dirNames;
  readonly dmaAddrs: readonly bigint[];
  readonly sizes: readonly number[];
  readonly phys: readonly string[];
  readonly sg: boolean;
}

const hex = (n: bigint): string => n.toString(16);
const array = (values: ReadonlyArray<bigint | number>): string =>
  `{${values.map((v) => `0x${v.toString(16)}`).join(',')}}`;

export class TraceRenderer {
  private readonly live = new Map<string, Live>();
  private nextDma = 0x80000000n;
  private seq = 0;

  constructor(private readonly shape: TraceShape = 'tracefs') {}

  private line(cpu: number, event: string, body: string): string {
    const ts = (1000 + this.seq++ / 1e6).toFixed(6);
    const cpuText = String(cpu).padStart(3, '0');
    if (this.shape === 'trace-cmd')
      return `     kworker/u8:1-${100 + cpu}  [${cpuText}]  ${ts}: ${`${event}:`.padEnd(28)} ${body}`;
    return `     kworker/u8:1-${100 + cpu}     [${cpuText}] ..... ${ts}: ${event}: ${body}`;
  }

  private dmaFor(size: number): bigint {
    const addr = this.nextDma;
    this.nextDma += BigInt(Math.ceil(size / 4096) * 4096 + 4096);
    return addr;
  }

  /** The trace lines for one op (none for ops the kernel does not trace). */
  render(op: ExplicitOp, cpuOf: (device: string) => number = () => 0): string[] {
    switch (op.op) {
      case 'map': {
        const dma = this.dmaFor(op.buffer.size);
        this.live.set(op.id, {
          device: op.device,
          dir: op.dir,
          dmaAddrs: [dma],
          sizes: [op.buffer.size],
          phys: [op.buffer.phys],
          sg: false,
        });
        const attrs = op.attrs.join('|');
        return [
          this.line(
            op.cpu,
            'dma_map_phys',
            `${op.device} dir=${dirNames[op.dir]} dma_addr=${hex(dma)} size=${op.buffer.size} phys_addr=${op.buffer.phys.slice(2)} attrs=${attrs}`,
          ),
        ];
      }
      case 'map_sg': {
        const dmas = op.segments.map((s) => this.dmaFor(s.size));
        const sizes = op.segments.map((s) => s.size);
        this.live.set(op.id, {
          device: op.device,
          dir: op.dir,
          dmaAddrs: dmas,
          sizes,
          phys: op.segments.map((s) => s.phys),
          sg: true,
        });
        const n = op.segments.length;
        const body = `${op.device} dir=${dirNames[op.dir]} nents=${n}/${n} ents=${n}/${n} dma_addrs=${array(dmas)} sizes=${array(sizes)} phys_addrs=${array(op.segments.map((s) => BigInt(s.phys)))} attrs=${op.attrs.join('|')}`;
        return [this.line(op.cpu, 'dma_map_sg', body)];
      }
      case 'unmap':
      case 'unmap_sg': {
        const live = this.live.get(op.id);
        if (!live) return [];
        this.live.delete(op.id);
        const cpu = cpuOf(live.device);
        if (live.sg)
          return [
            this.line(
              cpu,
              'dma_unmap_sg',
              `${live.device} dir=${dirNames[live.dir]} phys_addrs=${array(live.phys.map((p) => BigInt(p)))} attrs=`,
            ),
          ];
        return [
          this.line(
            cpu,
            'dma_unmap_phys',
            `${live.device} dir=${dirNames[live.dir]} dma_addr=${hex(live.dmaAddrs[0]!)} size=${live.sizes[0]!} attrs=`,
          ),
        ];
      }
      case 'sync_for_cpu':
      case 'sync_for_device':
        return this.renderSync(op, cpuOf);
      case 'alloc_coherent': {
        const dma = this.dmaFor(op.size);
        this.live.set(op.id, {
          device: op.device,
          dir: 'bidirectional',
          dmaAddrs: [dma],
          sizes: [op.size],
          phys: [],
          sg: false,
        });
        const flags = op.gfp === 'atomic' ? 'GFP_ATOMIC' : 'GFP_KERNEL';
        return [
          this.line(
            cpuOf(op.device),
            'dma_alloc',
            `${op.device} dir=BIDIRECTIONAL dma_addr=${hex(dma)} size=${op.size} virt_addr=00000000deadbeef flags=${flags} attrs=`,
          ),
        ];
      }
      case 'free_coherent': {
        const live = this.live.get(op.id);
        if (!live) return [];
        this.live.delete(op.id);
        return [
          this.line(
            cpuOf(live.device),
            'dma_free',
            `${live.device} dir=BIDIRECTIONAL dma_addr=${hex(live.dmaAddrs[0]!)} size=${live.sizes[0]!} virt_addr=00000000deadbeef attrs=`,
          ),
        ];
      }
      default:
        return [];
    }
  }

  private renderSync(
    op: Extract<ExplicitOp, { op: 'sync_for_cpu' | 'sync_for_device' }>,
    cpuOf: (device: string) => number,
  ): string[] {
    const live = this.live.get(op.id);
    if (!live) return [];
    const target = op.op === 'sync_for_cpu' ? 'cpu' : 'device';
    if (live.sg)
      return [
        this.line(
          cpuOf(live.device),
          `dma_sync_sg_for_${target}`,
          `${live.device} dir=${dirNames[live.dir]} dma_addrs=${array(live.dmaAddrs)} sizes=${array(live.sizes)}`,
        ),
      ];
    const length = op.length ?? live.sizes[0]! - op.offset;
    return [
      this.line(
        cpuOf(live.device),
        `dma_sync_single_for_${target}`,
        `${live.device} dir=${dirNames[live.dir]} dma_addr=${hex(live.dmaAddrs[0]! + BigInt(op.offset))} size=${length}`,
      ),
    ];
  }
}

/** Renders a whole op list as trace text (one event per line, newline-terminated). */
export function renderTrace(ops: readonly ExplicitOp[], shape: TraceShape = 'tracefs'): string {
  const renderer = new TraceRenderer(shape);
  return ops
    .flatMap((op) => renderer.render(op))
    .map((l) => `${l}\n`)
    .join('');
}
