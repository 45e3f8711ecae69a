import type { ScenarioSpec } from '../spec/scenario.schema';
import type { SpecDataClass } from '../spec/names';
import { specLimits } from '../spec/scenario.schema';
import { dataClassFor, type DataRule, type DeviceMapping, inferDevice, maskBits, unknownDataClass } from './device-map';
import { decodeEvent, isDmaEvent, type TraceCall } from './trace-events';
import { FieldProblem, type TraceError } from './trace-fields';
import { splitTraceLine } from './trace-line';

/** One explicit op as a spec author writes it (workload.explicit entries). */
export type ImportedOp = NonNullable<ScenarioSpec['workload']['explicit']>[number];

export interface TraceImportOptions {
  readonly devices?: readonly DeviceMapping[];
  readonly data?: readonly DataRule[];
  /** Ops written at most (default: the spec's explicit-list limit); later calls are counted, not written. */
  readonly maxOps?: number;
  /** Insert `run_deferred` after every N replayed calls (0: never): the guest's deferred work ran between calls too. */
  readonly deferredEveryOps?: number;
  /** Errors kept in the summary (all are counted). */
  readonly maxErrorsKept?: number;
}

export interface ImportedDevice {
  readonly traceName: string;
  readonly id: string;
  readonly kind: DeviceMapping['kind'];
  readonly trust: NonNullable<DeviceMapping['trust']>;
  readonly dmaMaskBits: number | null;
  /** Why the kind was chosen: "mapped" for --devices, else the inference rule. */
  readonly source: string;
}

export interface TraceImportSummary {
  readonly linesRead: number;
  readonly eventsDecoded: number;
  readonly headerLines: number;
  /** Lines that are not ftrace event lines (never silently dropped). */
  readonly unknownLines: { readonly count: number; readonly firstLines: readonly number[] };
  /** Events from other tracepoint systems (sched, irq, …): counted per name. */
  readonly otherEvents: Readonly<Record<string, number>>;
  /** dma/swiotlb events the spec cannot express, per name. */
  readonly unsupportedEvents: Readonly<Record<string, number>>;
  readonly errorCount: number;
  readonly errors: readonly TraceError[];
  /** Calls that could not be paired (unmap without map, …), per reason. */
  readonly warnings: Readonly<Record<string, number>>;
  readonly opsWritten: number;
  /** Calls after maxOps was reached. */
  readonly opsNotWritten: number;
  /** Ops written whose bytes no data rule classified (data class `unknown`). */
  readonly unclassifiedOps: number;
  /** Mappings and coherent regions still live at the end of the trace (or of the written part). */
  readonly liveAtEnd: number;
  readonly maxCpu: number;
  /** One past the highest buffer byte written, as hex (sizes the guest RAM). */
  readonly physEnd: string;
  readonly devices: readonly ImportedDevice[];
  /** True when only swiotlb_bounced events were found (no dma:* events): lifetimes are unknown. */
  readonly bouncedOnly: boolean;
}

interface LiveSingle {
  readonly id: string;
  readonly dmaAddr: bigint;
  readonly size: number;
}

/**
 * Turns trace lines into explicit ops, one line at a time, in constant memory (only live mappings
 * are kept). Map and unmap are paired by (device, dma_addr) as dma_unmap_phys() receives exactly
 * the address dma_map_phys() returned; dma_unmap_sg() is paired by its first physical address
 * (its tracepoint prints sg_phys()); syncs by the mapping that contains the synced address.
 */
export class TraceImporter {
  private lineNo = 0;
  private decoded = 0;
  private headers = 0;
  private unknown = 0;
  private readonly unknownFirst: number[] = [];
  private readonly other: Record<string, number> = {};
  private readonly unsupported: Record<string, number> = {};
  private readonly warnings: Record<string, number> = {};
  private readonly errors: TraceError[] = [];
  private errorCount = 0;
  private written = 0;
  /** Ops written that replay a traced call (written minus the inserted run_deferred). */
  private calls = 0;
  private notWritten = 0;
  private unclassified = 0;
  private nextId = 1;
  private maxCpu = 0;
  private physEnd = 0n;
  private sawDma = false;
  private sawBounced = false;
  private readonly devices = new Map<string, ImportedDevice>();
  private readonly usedIds = new Set<string>();
  private readonly singles = new Map<string, LiveSingle>();
  private readonly sgByPhys = new Map<string, { id: string; dmaKey: string }>();
  private readonly sgByDma = new Map<string, string>();
  private readonly coherent = new Map<string, string>();
  private readonly maxOps: number;
  private readonly deferredEvery: number;

  constructor(
    private readonly options: TraceImportOptions,
    private readonly onOp: (op: ImportedOp) => void,
  ) {
    this.maxOps = options.maxOps ?? specLimits.maxExplicitOps;
    this.deferredEvery = options.deferredEveryOps ?? 0;
  }

  /** Feeds one line (without its newline). */
  pushLine(text: string): void {
    this.lineNo++;
    const split = splitTraceLine(text);
    if (split.kind === 'header') {
      this.headers++;
      return;
    }
    if (split.kind === 'lost') {
      this.warn('ring buffer overflow: the kernel dropped events here (raise buffer_size_kb); some calls are missing');
      return;
    }
    if (split.kind === 'unknown') {
      this.unknown++;
      if (this.unknownFirst.length < 20) this.unknownFirst.push(this.lineNo);
      return;
    }
    const { event, body, bodyOffset, cpu } = split.line;
    if (!isDmaEvent(event)) {
      this.other[event] = (this.other[event] ?? 0) + 1;
      return;
    }
    const call = decodeEvent(event, body, bodyOffset);
    if (call instanceof FieldProblem) {
      this.error(call.column + 1, `${event}: ${call.message}`);
      return;
    }
    this.decoded++;
    this.maxCpu = Math.max(this.maxCpu, cpu);
    this.apply(call, cpu, event);
  }

  private error(column: number, message: string): void {
    this.errorCount++;
    if (this.errors.length < (this.options.maxErrorsKept ?? 50))
      this.errors.push({ line: this.lineNo, column, message });
  }

  private warn(reason: string): void {
    this.warnings[reason] = (this.warnings[reason] ?? 0) + 1;
  }

  private apply(call: TraceCall, cpu: number, event: string): void {
    switch (call.call) {
      case 'unsupported':
        this.unsupported[event] = (this.unsupported[event] ?? 0) + 1;
        return;
      case 'map':
        return this.map(call, cpu);
      case 'map_sg':
        return this.mapSg(call, cpu);
      case 'unmap':
        return this.unmap(call.device, call.dmaAddr);
      case 'unmap_sg':
        return this.unmapSg(call.device, call.physAddrs[0]!);
      case 'sync':
        return this.sync(call.device, call.target, call.dmaAddr, call.size);
      case 'sync_sg':
        return this.syncSg(call.device, call.target, call.dmaAddrs[0]!);
      case 'alloc':
        return this.alloc(call);
      case 'free':
        return this.free(call.device, call.dmaAddr);
      case 'bounced':
        return this.bounced(call, cpu);
    }
  }

  private emit(op: ImportedOp): boolean {
    if (this.written >= this.maxOps) {
      this.notWritten++;
      return false;
    }
    this.onOp(op);
    this.written++;
    this.calls++;
    if (carriesUnknownData(op)) this.unclassified++;
    if (this.deferredEvery > 0 && this.calls % this.deferredEvery === 0 && this.written < this.maxOps) {
      this.onOp({ op: 'run_deferred' });
      this.written++;
    }
    return true;
  }

  private device(traceName: string, maskHex?: string): ImportedDevice {
    const known = this.devices.get(traceName);
    if (known) return known;
    const mapped = this.options.devices?.find((d) => d.traceName === traceName);
    const inferred = inferDevice(traceName);
    let id = mapped?.id ?? inferred.id;
    for (let n = 2; this.usedIds.has(id); n++) id = `${inferred.id.slice(0, 60)}_${n}`;
    this.usedIds.add(id);
    const bits = mapped?.dmaMaskBits ?? (maskHex === undefined ? null : maskBits(maskHex));
    const device: ImportedDevice = {
      traceName,
      id,
      kind: mapped?.kind ?? inferred.kind,
      trust: mapped?.trust ?? 'untrusted',
      dmaMaskBits: bits !== null && bits < 64 && bits >= 24 ? bits : null,
      source: mapped ? 'mapped' : inferred.reason,
    };
    this.devices.set(traceName, device);
    return device;
  }

  private newId(prefix: string): string {
    return `${prefix}${this.nextId++}`;
  }

  private notePhys(phys: string, size: number): void {
    const end = BigInt(phys) + BigInt(size);
    if (end > this.physEnd) this.physEnd = end;
  }

  private dir(dir: string): 'to-device' | 'from-device' | 'bidirectional' | null {
    if (dir === 'none') {
      this.warn('mapping with direction NONE skipped');
      return null;
    }
    return dir as 'to-device' | 'from-device' | 'bidirectional';
  }

  private attrs(
    attrs: readonly string[],
  ): Array<'SKIP_CPU_SYNC' | 'NO_WARN' | 'MMIO' | 'REQUIRE_COHERENT' | 'CC_SHARED'> {
    const kept = attrs.filter((a): a is 'SKIP_CPU_SYNC' | 'NO_WARN' | 'MMIO' | 'REQUIRE_COHERENT' | 'CC_SHARED' =>
      ['SKIP_CPU_SYNC', 'NO_WARN', 'MMIO', 'REQUIRE_COHERENT', 'CC_SHARED'].includes(a),
    );
    if (kept.length !== attrs.length)
      this.warn('DMA attributes the model ignores (WEAK_ORDERING, PRIVILEGED, …) dropped');
    return kept;
  }

  private map(call: Extract<TraceCall, { call: 'map' }>, cpu: number): void {
    this.sawDma = true;
    const dir = this.dir(call.dir);
    if (dir === null) return;
    const device = this.device(call.device);
    const key = `${device.id}@${call.dmaAddr}`;
    if (this.singles.has(key))
      this.warn('map of a dma_addr that is still mapped (its unmap was not traced): the older mapping is left live');
    const id = this.newId('m');
    const data = dataClassFor(this.options.data ?? [], call.device, device.id, dir);
    const op: ImportedOp = {
      op: 'map',
      id,
      device: device.id,
      buffer: { size: call.size, phys: call.phys, data },
      dir,
      cpu,
      ...this.attrList(call.attrs),
    };
    if (!this.emit(op)) return;
    this.notePhys(call.phys, call.size);
    this.singles.set(key, { id, dmaAddr: BigInt(call.dmaAddr), size: call.size });
  }

  private attrList(attrs: readonly string[]): { attrs?: ReturnType<TraceImporter['attrs']> } {
    const kept = this.attrs(attrs);
    return kept.length > 0 ? { attrs: kept } : {};
  }

  private mapSg(call: Extract<TraceCall, { call: 'map_sg' }>, cpu: number): void {
    this.sawDma = true;
    const dir = this.dir(call.dir);
    if (dir === null) return;
    if (call.truncated) this.warn('dma_map_sg with more than 128 entries: only the traced segments are replayed');
    const device = this.device(call.device);
    const data = dataClassFor(this.options.data ?? [], call.device, device.id, dir);
    const segments = sgSegments(call.physAddrs, call.sizes, data);
    if (call.physAddrs.length !== call.sizes.length)
      this.warn('dma_map_sg merged segments (an IOMMU): segment sizes split evenly over the physical segments');
    const id = this.newId('s');
    const op: ImportedOp = { op: 'map_sg', id, device: device.id, segments, dir, cpu, ...this.attrList(call.attrs) };
    if (!this.emit(op)) return;
    for (const s of segments) this.notePhys(s.phys, s.size);
    const dmaKey = `${device.id}@${call.dmaAddrs[0] ?? ''}`;
    this.sgByPhys.set(`${device.id}@${call.physAddrs[0]!}`, { id, dmaKey });
    this.sgByDma.set(dmaKey, id);
  }

  private unmap(traceName: string, dmaAddr: string): void {
    const device = this.device(traceName);
    const key = `${device.id}@${dmaAddr}`;
    const live = this.singles.get(key);
    if (live === undefined)
      return this.warn('unmap of an address with no traced map (mapped before tracing started, or beyond --max-ops)');
    this.singles.delete(key);
    this.emit({ op: 'unmap', id: live.id });
  }

  private unmapSg(traceName: string, firstPhys: string): void {
    const device = this.device(traceName);
    const key = `${device.id}@${firstPhys}`;
    const live = this.sgByPhys.get(key);
    if (live === undefined) return this.warn('unmap_sg of a list with no traced map_sg');
    this.sgByPhys.delete(key);
    this.sgByDma.delete(live.dmaKey);
    this.emit({ op: 'unmap_sg', id: live.id });
  }

  private sync(traceName: string, target: 'cpu' | 'device', dmaAddr: string, size: number): void {
    const device = this.device(traceName);
    const exact = this.singles.get(`${device.id}@${dmaAddr}`);
    const addr = BigInt(dmaAddr);
    const live = exact ?? this.containing(device.id, addr, size);
    if (live === undefined) {
      // dma_sync_sg_* is traced per list, but drivers also sync sg entries with the single-buffer call.
      const sgId = this.sgByDma.get(`${device.id}@${dmaAddr}`);
      if (sgId !== undefined) this.emit({ op: target === 'cpu' ? 'sync_for_cpu' : 'sync_for_device', id: sgId });
      else this.warn('sync of an address with no traced live mapping');
      return;
    }
    const offset = Number(addr - live.dmaAddr);
    const length = Math.min(size, live.size - offset);
    this.emit({ op: target === 'cpu' ? 'sync_for_cpu' : 'sync_for_device', id: live.id, offset, length });
  }

  /** The live single mapping of this device that contains [addr, addr + size): a partial sync. */
  private containing(deviceId: string, addr: bigint, size: number): LiveSingle | undefined {
    const prefix = `${deviceId}@`;
    for (const [key, live] of this.singles) {
      if (key.startsWith(prefix) && addr >= live.dmaAddr && addr + BigInt(size) <= live.dmaAddr + BigInt(live.size))
        return live;
    }
    return undefined;
  }

  private syncSg(traceName: string, target: 'cpu' | 'device', firstDma: string): void {
    const device = this.device(traceName);
    const id = this.sgByDma.get(`${device.id}@${firstDma}`);
    if (id === undefined) return this.warn('sync_sg of a list with no traced map_sg');
    this.emit({ op: target === 'cpu' ? 'sync_for_cpu' : 'sync_for_device', id });
  }

  private alloc(call: Extract<TraceCall, { call: 'alloc' }>): void {
    this.sawDma = true;
    const device = this.device(call.device);
    if (call.size === 0) return this.warn('dma_alloc of 0 bytes skipped');
    const id = this.newId('c');
    if (
      !this.emit({
        op: 'alloc_coherent',
        id,
        device: device.id,
        size: call.size,
        gfp: call.atomic ? 'atomic' : 'blocking',
      })
    )
      return;
    // dma_addr is 0 when the allocation failed: nothing to free later, the engine decides the outcome.
    if (call.dmaAddr !== '0x0') this.coherent.set(`${device.id}@${call.dmaAddr}`, id);
    const data = dataClassFor(this.options.data ?? [], call.device, device.id, 'coherent');
    this.emit({ op: 'cpu_write', id, bytes: Math.min(call.size, 4096), data });
  }

  private free(traceName: string, dmaAddr: string): void {
    const device = this.device(traceName);
    const key = `${device.id}@${dmaAddr}`;
    const id = this.coherent.get(key);
    if (id === undefined) return this.warn('dma_free of a region with no traced dma_alloc');
    this.coherent.delete(key);
    this.emit({ op: 'free_coherent', id });
  }

  /**
   * swiotlb_bounced fires in swiotlb_map() for each bounced streaming mapping; it prints the
   * original address (dev_addr is the caller's phys) but no direction and no unmap. Replayed as a
   * bidirectional map immediately unmapped: the lifetime is unknown, so pool pressure is a lower bound.
   */
  private bounced(call: Extract<TraceCall, { call: 'bounced' }>, cpu: number): void {
    this.sawBounced = true;
    if (this.sawDma) return this.warn('swiotlb_bounced skipped: the dma:* events already describe the mapping');
    const device = this.device(call.device, call.dmaMask);
    const id = this.newId('b');
    const data = dataClassFor(this.options.data ?? [], call.device, device.id, 'bidirectional');
    if (
      !this.emit({
        op: 'map',
        id,
        device: device.id,
        buffer: { size: call.size, phys: call.devAddr, data },
        dir: 'bidirectional',
        cpu,
      })
    )
      return;
    this.notePhys(call.devAddr, call.size);
    this.emit({ op: 'unmap', id });
  }

  finish(): TraceImportSummary {
    return {
      linesRead: this.lineNo,
      eventsDecoded: this.decoded,
      headerLines: this.headers,
      unknownLines: { count: this.unknown, firstLines: [...this.unknownFirst] },
      otherEvents: { ...this.other },
      unsupportedEvents: { ...this.unsupported },
      errorCount: this.errorCount,
      errors: [...this.errors],
      warnings: { ...this.warnings },
      opsWritten: this.written,
      opsNotWritten: this.notWritten,
      unclassifiedOps: this.unclassified,
      liveAtEnd: this.singles.size + this.sgByPhys.size + this.coherent.size,
      maxCpu: this.maxCpu,
      physEnd: `0x${this.physEnd.toString(16)}`,
      devices: [...this.devices.values()],
      bouncedOnly: this.sawBounced && !this.sawDma,
    };
  }
}

/** True when the op writes or maps bytes of the `unknown` class (no data rule matched). */
function carriesUnknownData(op: ImportedOp): boolean {
  switch (op.op) {
    case 'map':
      return op.buffer.data === unknownDataClass;
    case 'map_sg':
      return op.segments.some((s) => s.data === unknownDataClass);
    case 'cpu_write':
    case 'device_write':
      return op.data === unknownDataClass;
    default:
      return false;
  }
}

function sgSegments(
  physAddrs: readonly string[],
  sizes: readonly number[],
  data: SpecDataClass,
): Array<{ size: number; phys: string; data: typeof data }> {
  if (physAddrs.length === sizes.length)
    return physAddrs.map((phys, i) => ({ size: Math.max(1, sizes[i]!), phys, data }));
  const total = sizes.reduce((a, b) => a + b, 0);
  const each = Math.max(1, Math.ceil(total / physAddrs.length));
  return physAddrs.map((phys) => ({ size: each, phys, data }));
}
