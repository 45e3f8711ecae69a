// dmasim demo: one line per example (scenario, kernel, verdict, top finding, ops/s), --examples DIR,
// and the allocator trace comparison. Runs in-process with small workloads.
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../../src/cli/main';
import { memoryIo } from '../../support/memory-io';

const examplesDir = path.join(__dirname, '..', '..', '..', 'examples');
const examples = readdirSync(examplesDir)
  .filter((f) => /\.(ya?ml|json)$/.test(f))
  .sort();

describe('dmasim demo', () => {
  it('prints one line for every example with kernel, verdict, top finding and ops/s, then the trace matches', async () => {
    const io = memoryIo();

    const code = await runCli(['demo', '--operations', '300'], io);

    const out = io.out();
    expect(code).toBe(0);
    expect(out).toMatch(/^ {2}scenario +kernel +verdict +top finding +ops +ops\/s$/m);
    for (const file of examples) {
      const name = file.replace(/\.(ya?ml|json)$/, '');
      expect(out).toMatch(
        new RegExp(
          `^  ${name} +\\S.* +(clean|exposes-secrets|exposes-data|failing|degraded)(\\+(exposes-data|failing|degraded))* +.+ +[\\d,]+ +[\\d.]+ [kM]$`,
          'm',
        ),
      );
    }
    // Reference §11 S4 (V1 critical on v7.2) and S8 (F5 for the 32-bit accepted device) as top findings.
    expect(out).toMatch(
      /^ {2}s04-hyperv-snp-confidential-storvsc +v7\.2 \(la-phys\) +exposes-secrets +V1 critical storvsc0 /m,
    );
    expect(out).toMatch(
      /^ {2}s08-tdx-tdisp-nvme-32bit +v7\.3 \(lb\) \+ device-cc-accepted \(aneesh\) +failing +F5 nvme0 /m,
    );
    // A failing run names the failure that makes it fail, never the F15 cost line or a violation:
    // S10 (§11) fails with F4 although it also exposes stale data (V2 high) and bounces (F15).
    expect(out).toMatch(/^ {2}s10-cca-virtio-net-ipa-mask +\S.* +failing +F4 net0 /m);
    expect(out).toMatch(new RegExp(`^  ${examples.length} scenarios, [\\d,]+ operations in [\\d.]+ s`, 'm'));
    expect(out.match(/^ {2}MATCH /gm)).toHaveLength(6);
  });

  it('--examples DIR runs another directory and exits 1 with path: message for an invalid spec', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dmasim-demo-'));
    copyFileSync(path.join(examplesDir, 's05-hyperv-snp-storvsc-bypass.yaml'), path.join(dir, 'mine.yaml'));
    writeFileSync(
      path.join(dir, 'broken.yaml'),
      'apiVersion: dmasim/v1\nname: broken\nvm: { platform: mars, memoryMiB: 1024, vcpus: 1 }\nkernel: { profile: v7.2 }\ndevices: []\nworkload: { operations: 1 }\n',
    );
    const io = memoryIo();

    const code = await runCli(['demo', '--examples', dir, '--operations', '200', '--no-traces'], io);

    expect(code).toBe(1);
    expect(io.out()).toMatch(/^ {2}mine +v7\.2 \(la-phys\) \+ storvsc-bypass +clean +– +200 /m);
    expect(io.out()).toMatch(/^ {2}broken +– +INVALID +vm\.platform: /m);
    expect(io.err()).toMatch(/^dmasim demo: broken\.yaml: vm\.platform: /m);
    expect(io.out()).not.toMatch(/MATCH/);
  });

  it("writes each example's line as soon as that example has run, before the next one starts", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dmasim-demo-stream-'));
    copyFileSync(path.join(examplesDir, 's05-hyperv-snp-storvsc-bypass.yaml'), path.join(dir, 'a.yaml'));
    copyFileSync(path.join(examplesDir, 's12-snp-swiotlb-noforce.yaml'), path.join(dir, 'b.yaml'));
    const io = memoryIo();
    const writes: string[] = [];
    const write = io.stdout.write.bind(io.stdout);
    // Each write call is one unit the user sees: rows must not be collected and printed together at the end.
    io.stdout.write = ((chunk: string, ...rest: never[]) => {
      writes.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof io.stdout.write;

    expect(await runCli(['demo', '--examples', dir, '--operations', '200', '--no-traces'], io)).toBe(0);

    const rowA = writes.findIndex((w) => /^ {2}a +/.test(w));
    const rowB = writes.findIndex((w) => /^ {2}b +/.test(w));
    expect(rowA).toBeGreaterThan(0);
    expect(rowB).toBe(rowA + 1);
    expect(writes[rowA]!.split('\n').filter(Boolean)).toHaveLength(1);
    expect(writes.findIndex((w) => /2 scenarios, /.test(w))).toBeGreaterThan(rowB);
  });

  it('exits 2 for an unreadable --examples directory', async () => {
    const io = memoryIo();

    expect(await runCli(['demo', '--examples', '/nonexistent/dir'], io)).toBe(2);
    expect(io.err()).toContain('--examples: cannot read /nonexistent/dir (ENOENT)');
  });
});
