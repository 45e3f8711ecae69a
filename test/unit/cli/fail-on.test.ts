// dmasim run --fail-on: the CI gate's exit codes through the real binary (the process boundary is
// the point). S04 under v7.2 bounces storvsc's secret data through shared SWIOTLB (V1 critical,
// rule A4); S05 adds storvsc-bypass and is clean; S08 (32-bit TDISP NVMe, device-cc-accepted) has
// F5 failures and no exposure.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const repoRoot = path.join(__dirname, '..', '..', '..');
const example = (name: string): string => path.join(repoRoot, 'examples', name);
const bin = path.join(repoRoot, 'bin', 'dmasim.js');

async function dmasim(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, 'run', ...args]);
    return { code: 0, stdout, stderr };
  } catch (error: unknown) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('dmasim run --fail-on', () => {
  it('exits 1 and names the matching findings when a finding is at or above the gate', async () => {
    const leaking = await dmasim([
      example('s04-hyperv-snp-confidential-storvsc.yaml'),
      '--operations',
      '300',
      '--fail-on',
      'high',
    ]);

    expect(leaking.code).toBe(1);
    expect(leaking.stderr).toMatch(/fails --fail-on high: V1 critical storvsc0 ×[\d,]+ \(A4\)/);
    expect(leaking.stdout).toMatch(/EXPOSES-SECRETS/);
  });

  it('exits 0 when nothing meets the gate, also for a class the run does not have', async () => {
    const clean = await dmasim([
      example('s05-hyperv-snp-storvsc-bypass.yaml'),
      '--operations',
      '300',
      '--fail-on',
      'info',
    ]);
    const otherClass = await dmasim([
      example('s04-hyperv-snp-confidential-storvsc.yaml'),
      '--operations',
      '300',
      '--fail-on',
      'F5',
    ]);

    expect(clean.code).toBe(0);
    expect(clean.stderr).toBe('');
    expect(otherClass.code).toBe(0);
  });

  it('gates on failure classes and verdict levels', async () => {
    const s08 = example('s08-tdx-tdisp-nvme-32bit.yaml');
    const byClass = await dmasim([s08, '--operations', '300', '--fail-on', 'F5']);
    const byLevel = await dmasim([s08, '--operations', '300', '--fail-on', 'failing']);
    const secretsOnly = await dmasim([s08, '--operations', '300', '--fail-on', 'exposes-secrets']);

    expect(byClass.code).toBe(1);
    expect(byClass.stderr).toMatch(/F5 high nvme0/);
    expect(byLevel.code).toBe(1);
    expect(byLevel.stderr).toMatch(/verdict failing/);
    expect(secretsOnly.code).toBe(0);
  });

  it('exits 2 with the reason for a bad gate', async () => {
    const bad = await dmasim([example('s05-hyperv-snp-storvsc-bypass.yaml'), '--fail-on', 'V12']);

    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--fail-on: V12: no such class');
  });
});
