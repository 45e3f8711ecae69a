import {
  arrayField,
  directionNames,
  type EventFields,
  field,
  FieldProblem,
  type FieldToken,
  hexField,
  sizeField,
  splitFields,
} from './trace-fields';

/**
 * One traced DMA API call, decoded from its TP_printk text (include/trace/events/dma.h and
 * include/trace/events/swiotlb.h). Addresses stay lowercase `0x…` strings: they are keys that pair
 * a map with its unmap, never arithmetic, except sync offsets (BigInt there).
 */
export type TraceCall =
  | {
      readonly call: 'map';
      readonly device: string;
      readonly dir: string;
      readonly dmaAddr: string;
      readonly size: number;
      readonly phys: string;
      readonly attrs: readonly string[];
    }
  | { readonly call: 'unmap'; readonly device: string; readonly dmaAddr: string }
  | {
      readonly call: 'map_sg';
      readonly device: string;
      readonly dir: string;
      readonly dmaAddrs: readonly string[];
      readonly sizes: readonly number[];
      readonly physAddrs: readonly string[];
      readonly attrs: readonly string[];
      readonly truncated: boolean;
    }
  | { readonly call: 'unmap_sg'; readonly device: string; readonly physAddrs: readonly string[] }
  | {
      readonly call: 'sync';
      readonly device: string;
      readonly target: 'cpu' | 'device';
      readonly dmaAddr: string;
      readonly size: number;
    }
  | {
      readonly call: 'sync_sg';
      readonly device: string;
      readonly target: 'cpu' | 'device';
      readonly dmaAddrs: readonly string[];
    }
  | {
      readonly call: 'alloc';
      readonly device: string;
      readonly dmaAddr: string;
      readonly size: number;
      readonly atomic: boolean;
    }
  | { readonly call: 'free'; readonly device: string; readonly dmaAddr: string }
  | {
      readonly call: 'bounced';
      readonly device: string;
      readonly dmaMask: string;
      readonly devAddr: string;
      readonly size: number;
    }
  /** An event of the dma/swiotlb systems that the spec cannot express (counted per name). */
  | { readonly call: 'unsupported'; readonly event: string };

type Decoded = TraceCall | FieldProblem;
type Decoder = (f: EventFields, column: number, event: string) => Decoded;

function direction(f: EventFields, column: number): string | FieldProblem {
  const token = field(f, 'dir', column);
  if (token instanceof FieldProblem) return token;
  const dir = directionNames[token.value];
  return (
    dir ?? new FieldProblem(`dir: '${token.value}' is not TO_DEVICE, FROM_DEVICE, BIDIRECTIONAL or NONE`, token.column)
  );
}

/** `__print_flags()` output: `A|B`, or nothing. */
function attrs(f: EventFields): string[] {
  const text = f.fields.get('attrs')?.value ?? '';
  return text === '' ? [] : text.split('|');
}

/** Runs field readers in order, returning the first problem. */
function read<T>(token: FieldToken | FieldProblem, reader: (t: FieldToken) => T | FieldProblem): T | FieldProblem {
  return token instanceof FieldProblem ? token : reader(token);
}

function first<T extends unknown[]>(...values: T): FieldProblem | null {
  return (values.find((v) => v instanceof FieldProblem) as FieldProblem | undefined) ?? null;
}

/** dma_map_phys (v6.18+) / dma_map_page (v6.12–v6.17): "%s dir=%s dma_addr=%llx size=%zu phys_addr=%llx attrs=%s". */
const decodeMap: Decoder = (f, column) => {
  const dir = direction(f, column);
  const dmaAddr = read(field(f, 'dma_addr', column), (t) => hexField(t, 'dma_addr'));
  const size = read(field(f, 'size', column), (t) => sizeField(t, 'size'));
  const phys = read(field(f, 'phys_addr', column), (t) => hexField(t, 'phys_addr'));
  const problem = first(dir, dmaAddr, size, phys);
  if (problem) return problem;
  return {
    call: 'map',
    device: f.device.value,
    dir: dir as string,
    dmaAddr: dmaAddr as string,
    size: size as number,
    phys: phys as string,
    attrs: attrs(f),
  };
};

/** dma_unmap_phys / dma_unmap_page: "%s dir=%s dma_addr=%llx size=%zu attrs=%s". */
const decodeUnmap: Decoder = (f, column) => {
  const dmaAddr = read(field(f, 'dma_addr', column), (t) => hexField(t, 'dma_addr'));
  return dmaAddr instanceof FieldProblem ? dmaAddr : { call: 'unmap', device: f.device.value, dmaAddr };
};

/**
 * dma_map_sg: v6.12 prints "%s dir=%s dma_addrs=%s sizes=%s phys_addrs=%s attrs=%s"; later kernels
 * add "nents=%d/%d ents=%d/%d%s" with " [TRUNCATED]" when more than 128 entries were mapped.
 */
const decodeMapSg: Decoder = (f, column) => {
  const dir = direction(f, column);
  const dmaAddrs = read(field(f, 'dma_addrs', column), (t) => arrayField(t, 'dma_addrs'));
  const sizes = read(field(f, 'sizes', column), (t) => arrayField(t, 'sizes'));
  const physAddrs = read(field(f, 'phys_addrs', column), (t) => arrayField(t, 'phys_addrs'));
  const problem = first(dir, dmaAddrs, sizes, physAddrs);
  if (problem) return problem;
  const sizeNumbers = (sizes as string[]).map((s) => Number(BigInt(s)));
  if ((dmaAddrs as string[]).length !== sizeNumbers.length)
    return new FieldProblem('dma_addrs and sizes have different lengths', f.fields.get('sizes')!.column);
  if ((physAddrs as string[]).length === 0)
    return new FieldProblem('phys_addrs: no segments', f.fields.get('phys_addrs')!.column);
  const truncated = f.words.some((w) => w.value === '[TRUNCATED]');
  return {
    call: 'map_sg',
    device: f.device.value,
    dir: dir as string,
    dmaAddrs: dmaAddrs as string[],
    sizes: sizeNumbers,
    physAddrs: physAddrs as string[],
    attrs: attrs(f),
    truncated,
  };
};

/** dma_unmap_sg: "%s dir=%s phys_addrs=%s attrs=%s". */
const decodeUnmapSg: Decoder = (f, column) => {
  const physAddrs = read(field(f, 'phys_addrs', column), (t) => arrayField(t, 'phys_addrs'));
  if (physAddrs instanceof FieldProblem) return physAddrs;
  if (physAddrs.length === 0) return new FieldProblem('phys_addrs: no segments', f.fields.get('phys_addrs')!.column);
  return { call: 'unmap_sg', device: f.device.value, physAddrs };
};

/** dma_sync_single_for_{cpu,device}: "%s dir=%s dma_addr=%llx size=%zu". */
const decodeSync =
  (target: 'cpu' | 'device'): Decoder =>
  (f, column) => {
    const dmaAddr = read(field(f, 'dma_addr', column), (t) => hexField(t, 'dma_addr'));
    const size = read(field(f, 'size', column), (t) => sizeField(t, 'size'));
    const problem = first(dmaAddr, size);
    return (
      problem ?? { call: 'sync', device: f.device.value, target, dmaAddr: dmaAddr as string, size: size as number }
    );
  };

/** dma_sync_sg_for_{cpu,device}: "%s dir=%s dma_addrs=%s sizes=%s". */
const decodeSyncSg =
  (target: 'cpu' | 'device'): Decoder =>
  (f, column) => {
    const dmaAddrs = read(field(f, 'dma_addrs', column), (t) => arrayField(t, 'dma_addrs'));
    if (dmaAddrs instanceof FieldProblem) return dmaAddrs;
    if (dmaAddrs.length === 0) return new FieldProblem('dma_addrs: no segments', f.fields.get('dma_addrs')!.column);
    return { call: 'sync_sg', device: f.device.value, target, dmaAddrs };
  };

/**
 * dma_alloc / dma_alloc_pages: "%s dir=%s dma_addr=%llx size=%zu virt_addr=%p flags=%s attrs=%s".
 * show_gfp_flags() prints GFP_ATOMIC / GFP_NOWAIT for the non-sleeping masks.
 */
const decodeAlloc: Decoder = (f, column) => {
  const dmaAddr = read(field(f, 'dma_addr', column), (t) => hexField(t, 'dma_addr'));
  const size = read(field(f, 'size', column), (t) => sizeField(t, 'size'));
  const problem = first(dmaAddr, size);
  if (problem) return problem;
  const flags = f.fields.get('flags')?.value ?? '';
  return {
    call: 'alloc',
    device: f.device.value,
    dmaAddr: dmaAddr as string,
    size: size as number,
    atomic: /GFP_ATOMIC|GFP_NOWAIT/.test(flags),
  };
};

/** dma_free / dma_free_pages: "%s dir=%s dma_addr=%llx size=%zu virt_addr=%p attrs=%s". */
const decodeFree: Decoder = (f, column) => {
  const dmaAddr = read(field(f, 'dma_addr', column), (t) => hexField(t, 'dma_addr'));
  return dmaAddr instanceof FieldProblem ? dmaAddr : { call: 'free', device: f.device.value, dmaAddr };
};

/** swiotlb_bounced: "dev_name: %s dma_mask=%llx dev_addr=%llx size=%zu %s". */
const decodeBounced: Decoder = (f, column) => {
  const dmaMask = read(field(f, 'dma_mask', column), (t) => hexField(t, 'dma_mask'));
  const devAddr = read(field(f, 'dev_addr', column), (t) => hexField(t, 'dev_addr'));
  const size = read(field(f, 'size', column), (t) => sizeField(t, 'size'));
  const problem = first(dmaMask, devAddr, size);
  return (
    problem ?? {
      call: 'bounced',
      device: f.device.value,
      dmaMask: dmaMask as string,
      devAddr: devAddr as string,
      size: size as number,
    }
  );
};

const decoders: Readonly<Record<string, Decoder>> = {
  dma_map_phys: decodeMap,
  dma_map_page: decodeMap,
  dma_unmap_phys: decodeUnmap,
  dma_unmap_page: decodeUnmap,
  dma_map_sg: decodeMapSg,
  dma_unmap_sg: decodeUnmapSg,
  dma_sync_single_for_cpu: decodeSync('cpu'),
  dma_sync_single_for_device: decodeSync('device'),
  dma_sync_sg_for_cpu: decodeSyncSg('cpu'),
  dma_sync_sg_for_device: decodeSyncSg('device'),
  dma_alloc: decodeAlloc,
  dma_alloc_pages: decodeAlloc,
  dma_free: decodeFree,
  dma_free_pages: decodeFree,
  swiotlb_bounced: decodeBounced,
};

/**
 * Events of the dma system the spec has no op for: MMIO resource maps, non-contiguous sg-table
 * allocations and the error events (the failed call changed nothing to replay).
 */
const unsupportedEvents = new Set([
  'dma_map_resource',
  'dma_unmap_resource',
  'dma_alloc_sgt',
  'dma_alloc_sgt_err',
  'dma_free_sgt',
  'dma_map_sg_err',
]);

/** True for the event names this module knows (decoded or deliberately unsupported). */
export function isDmaEvent(event: string): boolean {
  return event in decoders || unsupportedEvents.has(event);
}

/** Decodes one event body; a problem carries the 0-based column of the offending text. */
export function decodeEvent(event: string, body: string, bodyOffset: number): TraceCall | FieldProblem {
  if (unsupportedEvents.has(event)) return { call: 'unsupported', event };
  const decoder = decoders[event];
  if (decoder === undefined) return new FieldProblem(`unknown event '${event}'`, bodyOffset);
  const fields = splitFields(body, bodyOffset, event === 'swiotlb_bounced' ? 'dev_name:' : '');
  if ('error' in fields) return new FieldProblem(fields.error, fields.column);
  return decoder(fields, bodyOffset, event);
}
