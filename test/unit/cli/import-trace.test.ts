import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../../src/cli/main';
import { parseSpecText } from '../../../src/modules/scenario/spec-text';
import { memoryIo } from '../../support/memory-io';

const dmasimBin = path.join(__dirname, '..', '..', '..', 'bin', 'dmasim.js');
const fixtures = path.join(__dirname, '..', '..', 'fixtures', 'traces');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dmasim-import-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dmasim import-trace', () => {
  it('writes a spec that validates, with devices mapped and data classified by flags', async () => {
    const out = path.join(dir, 'storvsc.yaml');
    const io = memoryIo();
    const code = await runCli(
      [
        'import-trace',
        path.join(fixtures, 'tracefs-v6.18-storvsc.txt'),
        '-o',
        out,
        '--devices',
        'f8b3781b-1e82-4818-a1c3-63d806ec15bb=vmbus-storvsc,trust=confidential-vmbus,id=storvsc0',
        '--data',
        'storvsc0:to-device=secret',
        '--platform',
        'hyperv-snp-paravisor',
        '--deferred-every',
        '0',
      ],
      io,
    );
    expect(code).toBe(0);
    const parsed = parseSpecText(readFileSync(out, 'utf8'), out);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    expect(parsed.spec.devices[0]).toMatchObject({
      id: 'storvsc0',
      kind: 'vmbus-storvsc',
      trust: 'confidential-vmbus',
    });
    const ops = parsed.spec.workload.explicit;
    expect(ops).toHaveLength(9);
    expect(ops[0]).toMatchObject({ op: 'map', dir: 'to-device', buffer: { data: 'secret' } });
    expect(ops[1]).toMatchObject({
      op: 'map_sg',
      dir: 'from-device',
      segments: [{ data: 'unknown' }, { data: 'unknown' }],
    });
    expect(io.err()).toContain('2 mappings live at the end');
    expect(io.err()).toContain('other events ignored: irq_handler_entry ×1');
    expect(io.err()).toContain('3 ops carry data of class unknown (no --data rule matched)');
  });

  it('reports malformed lines as FILE:LINE:COLUMN and exits 1', async () => {
    const io = memoryIo();
    const trace = path.join(fixtures, 'malformed.txt');
    expect(await runCli(['import-trace', trace, '-o', path.join(dir, 'bad.yaml')], io)).toBe(1);
    expect(io.err()).toContain(`${trace}:2:83: dma_map_phys: dir: 'SIDEWAYS'`);
    expect(io.err()).toContain('1 lines are not ftrace event lines (first at line 5)');
  });

  it('rejects a bad --devices entry naming what is wrong', async () => {
    const io = memoryIo();
    expect(
      await runCli(['import-trace', path.join(fixtures, 'malformed.txt'), '-o', '-', '--devices', 'sda=scsi'], io),
    ).toBe(2);
    expect(io.err()).toContain("unknown device kind 'scsi'");
  });

  /**
   * Constant memory: a generated trace far larger than the heap growth allowed. The importer keeps
   * only live mappings (each map is unmapped 8 calls later) and spools ops to disk.
   */
  it('streams a 200 MB trace under a 96 MiB heap limit', async () => {
    const trace = path.join(dir, 'big.trace');
    const sizeBytes = 200 * 1024 * 1024;
    const stream = createWriteStream(trace);
    let written = 0;
    for (let i = 0; written < sizeBytes; i++) {
      const lines: string[] = [];
      for (let j = 0; j < 1000; j++) {
        const n = i * 1000 + j;
        const dma = (0x7f000000 + (n % 64) * 0x10000).toString(16);
        const cpu = String(n % 4).padStart(3, '0');
        lines.push(
          `     kworker/u8:2-88      [${cpu}] ..... ${(5000 + n / 1e6).toFixed(6)}: dma_map_phys: 0000:00:04.0 dir=TO_DEVICE dma_addr=${dma} size=4096 phys_addr=${(0x100000000 + (n % 1024) * 4096).toString(16)} attrs=\n`,
        );
        lines.push(
          `     kworker/u8:2-88      [${cpu}] ..... ${(5000 + n / 1e6).toFixed(6)}: dma_unmap_phys: 0000:00:04.0 dir=TO_DEVICE dma_addr=${dma} size=4096 attrs=\n`,
        );
      }
      const chunk = lines.join('');
      written += chunk.length;
      if (!stream.write(chunk)) await once(stream, 'drain');
    }
    stream.end();
    await once(stream, 'finish');
    expect(statSync(trace).size).toBeGreaterThanOrEqual(sizeBytes);
    // A 96 MiB old-generation limit: holding the trace (or the ops) in memory would abort with
    // "heap out of memory" long before 200 MB were read.
    const result = spawnSync(
      process.execPath,
      [
        '--max-old-space-size=96',
        dmasimBin,
        'import-trace',
        trace,
        '-o',
        path.join(dir, 'big.yaml'),
        '--max-ops',
        '1000',
      ],
      { encoding: 'utf8' },
    );
    expect(result.stderr).toMatch(/\d{7} lines, \d{7} DMA events → 1000 ops/);
    expect(result.status).toBe(0);
  }, 120_000);
});
