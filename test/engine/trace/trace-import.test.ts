import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { importTraceLines, importTraceText, parseDataRules, parseDeviceMap } from '../../../src/engine/trace/index';
import { validateScenario } from '../../../src/engine/spec/validate';

const fixture = (name: string): string => readFileSync(join(__dirname, '../../fixtures/traces', name), 'utf8');

describe('importTraceText: tracefs lines, dma_map_phys formats (v6.18+), interleaved CPUs', () => {
  const rules = parseDataRules('to-device=secret');
  const { spec, summary } = importTraceText(fixture('tracefs-v6.18-storvsc.txt'), {
    data: rules.ok ? rules.value : [],
  });
  const ops = spec.workload.explicit!;

  it('pairs map/unmap by dma_addr and unmap_sg by its first phys address, keeping each call on its CPU', () => {
    expect(ops.map((o) => o.op)).toEqual([
      'map',
      'map_sg',
      'unmap',
      'sync_for_cpu',
      'unmap_sg',
      'alloc_coherent',
      'cpu_write',
      'map',
      'sync_for_device',
    ]);
    expect(ops[0]).toEqual({
      op: 'map',
      id: 'm1',
      device: 'vmbus_f8b3781b',
      buffer: { size: 4096, phys: '0x100000000', data: 'secret' },
      dir: 'to-device',
      cpu: 1,
    });
    expect(ops[1]).toMatchObject({
      op: 'map_sg',
      id: 's2',
      cpu: 3,
      dir: 'from-device',
      segments: [
        { size: 8192, phys: '0x100004000', data: 'unknown' },
        { size: 4096, phys: '0x100010000' },
      ],
    });
    expect(ops[2]).toEqual({ op: 'unmap', id: 'm1' });
    expect(ops[4]).toEqual({ op: 'unmap_sg', id: 's2' });
  });

  it('turns GFP_ATOMIC into an atomic allocation and a sub-range sync into offset/length', () => {
    expect(ops[5]).toEqual({ op: 'alloc_coherent', id: 'c3', device: 'vmbus_f8b3781b', size: 8192, gfp: 'atomic' });
    expect(ops[7]).toMatchObject({ op: 'map', id: 'm4', attrs: ['SKIP_CPU_SYNC'], dir: 'bidirectional' });
    // dma_addr 0x7fe21000 is 0x1000 into the mapping at 0x7fe20000.
    expect(ops[8]).toEqual({ op: 'sync_for_device', id: 'm4', offset: 4096, length: 512 });
  });

  it('counts other events and header lines, reports mappings still live at the end, and yields a valid spec', () => {
    expect(summary.otherEvents).toEqual({ irq_handler_entry: 1 });
    expect(summary.headerLines).toBe(12);
    expect(summary.unknownLines.count).toBe(0);
    expect(summary.liveAtEnd).toBe(2); // c3 and m4
    expect(Object.entries(summary.warnings)).toEqual([[expect.stringContaining('ring buffer overflow'), 1]]);
    expect(summary.maxCpu).toBe(3);
    expect(spec.vm.vcpus).toBe(4);
    expect(validateScenario(spec)).toMatchObject({ ok: true });
  });
});

describe('importTraceText: trace-cmd report lines, v6.12 dma_map_page and the sg format without nents', () => {
  const devices = parseDeviceMap('0000:00:04.0=nvme,id=nvme0,trust=untrusted');
  const { spec, summary } = importTraceText(fixture('trace-cmd-v6.12-nvme.txt'), {
    devices: devices.ok ? devices.value : [],
  });
  it('parses padded event names and maps the device explicitly', () => {
    expect(spec.devices).toEqual([{ id: 'nvme0', kind: 'nvme', trust: 'untrusted' }]);
    expect(spec.workload.explicit!.map((o) => o.op)).toEqual([
      'map',
      'map_sg',
      'unmap',
      'alloc_coherent',
      'cpu_write',
      'free_coherent',
    ]);
    expect(spec.workload.explicit![1]).toMatchObject({
      segments: [{ size: 65536, phys: '0x1300000' }],
      attrs: ['NO_WARN'],
    });
    expect(summary.headerLines).toBe(3);
  });
  it('counts dma_map_resource as an event the spec cannot express', () => {
    expect(summary.unsupportedEvents).toEqual({ dma_map_resource: 1 });
  });
});

describe('importTraceText: swiotlb_bounced only', () => {
  const { spec, summary } = importTraceText(fixture('swiotlb-bounced-only.txt'));
  it('replays each bounce as a bidirectional map and unmap and takes the device mask from dma_mask', () => {
    expect(summary.bouncedOnly).toBe(true);
    expect(spec.devices[0]).toMatchObject({ dmaMaskBits: 32 });
    expect(spec.workload.explicit).toEqual([
      {
        op: 'map',
        id: 'b1',
        device: 'pci0000_00_03.0',
        buffer: { size: 1514, phys: '0x9c000000', data: 'unknown' },
        dir: 'bidirectional',
        cpu: 2,
      },
      { op: 'unmap', id: 'b1' },
      {
        op: 'map',
        id: 'b2',
        device: 'pci0000_00_03.0',
        buffer: { size: 66, phys: '0x9c001000', data: 'unknown' },
        dir: 'bidirectional',
        cpu: 2,
      },
      { op: 'unmap', id: 'b2' },
    ]);
  });
});

describe('importTraceText: malformed lines', () => {
  const { summary } = importTraceText(fixture('malformed.txt'));
  it('reports each bad line with line:column of the offending text and counts non-ftrace lines', () => {
    expect(summary.errors).toEqual([
      {
        line: 2,
        column: 83,
        message: "dma_map_phys: dir: 'SIDEWAYS' is not TO_DEVICE, FROM_DEVICE, BIDIRECTIONAL or NONE",
      },
      { line: 3, column: 66, message: "dma_map_phys: missing field 'phys_addr='" },
      { line: 4, column: 102, message: "dma_map_phys: dma_addr: 'zz00' is not a 64-bit hex number" },
      { line: 6, column: 109, message: "dma_map_sg: dma_addrs: element 'banana' is not a hex number" },
    ]);
    const lines = fixture('malformed.txt').split('\n');
    expect(lines[1]!.slice(82, 90)).toBe('SIDEWAYS');
    expect(lines[5]!.slice(108, 114)).toBe('banana');
    expect(summary.unknownLines).toEqual({ count: 1, firstLines: [5] });
    expect(summary.opsWritten).toBe(1);
  });
});

describe('--devices and --data parsing', () => {
  it('rejects unknown kinds and options by name', () => {
    expect(parseDeviceMap('sda=scsi')).toEqual({
      ok: false,
      error: expect.stringContaining("unknown device kind 'scsi'"),
    });
    expect(parseDeviceMap('sda=nvme,colour=red')).toEqual({
      ok: false,
      error: expect.stringContaining("unknown option 'colour'"),
    });
    expect(parseDataRules('storvsc0=top-secret')).toEqual({
      ok: false,
      error: expect.stringContaining('CLASS one of secret, sensitive, public, unknown'),
    });
  });
  it('keeps PCI colons in device names and splits off a known direction only', () => {
    expect(parseDataRules('0000:00:04.0:to-device=secret;public')).toEqual({ ok: false, error: expect.any(String) });
    expect(parseDataRules('0000:00:04.0:to-device=secret;*=public')).toEqual({
      ok: true,
      value: [
        { device: '0000:00:04.0', scope: 'to-device', dataClass: 'secret' },
        { device: '*', scope: '*', dataClass: 'public' },
      ],
    });
  });
});

describe('op limit, deferred work and async line sources', () => {
  const text = fixture('tracefs-v6.18-storvsc.txt');
  it('inserts run_deferred every N written ops', () => {
    const ops = importTraceText(text, { deferredEveryOps: 2 }).spec.workload.explicit!;
    expect(ops.map((o) => o.op).slice(0, 6)).toEqual([
      'map',
      'map_sg',
      'run_deferred',
      'unmap',
      'sync_for_cpu',
      'run_deferred',
    ]);
  });
  it('stops writing at maxOps, counts the rest, and drops unmaps of mappings it never wrote', () => {
    const { spec, summary } = importTraceText(text, { maxOps: 2 });
    expect(spec.workload.explicit!.map((o) => o.op)).toEqual(['map', 'map_sg']);
    expect(summary.opsWritten).toBe(2);
    expect(summary.opsNotWritten).toBe(5); // unmap, sync, unmap_sg, alloc, map (m4); the unwritten alloc's cpu_write and m4's sync are never emitted
    expect(validateScenario(spec)).toMatchObject({ ok: true });
  });
  it('reads lines from an async iterable (a service upload stream) like text', async () => {
    async function* lines(): AsyncGenerator<string> {
      for (const line of text.split('\n').slice(0, -1)) yield line;
    }
    const streamed = await importTraceLines(lines());
    expect(streamed.spec).toEqual(importTraceText(text).spec);
  });
});
