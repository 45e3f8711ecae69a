import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { validateCommand } from '../../../src/cli/commands/validate.command';
import { parseSpecText } from '../../../src/modules/scenario/spec-text';

const examplesDir = join(__dirname, '../../../examples');
const files = readdirSync(examplesDir).filter((f) => /\.ya?ml$/.test(f)).sort();

// engine.md §2: at least ten examples reproducing the reference catalogue (§11), each with a comment.
describe('examples/', () => {
  it('has at least ten catalogue scenarios and one explicit op list', () => {
    expect(files.filter((f) => /^s\d\d-/.test(f)).length).toBeGreaterThanOrEqual(10);
    expect(files.some((f) => /explicit/.test(readFileSync(join(examplesDir, f), 'utf8')) && parseSpecText(readFileSync(join(examplesDir, f), 'utf8')).ok)).toBe(true);
  });

  it.each(files)('%s validates and starts with a comment block', (file) => {
    const text = readFileSync(join(examplesDir, file), 'utf8');
    expect(text.startsWith('#')).toBe(true);
    const result = parseSpecText(text, file);
    expect(result.ok ? [] : result.errors).toEqual([]);
  });
});

describe('dmasim validate', () => {
  async function run(args: string[]): Promise<{ code: number; out: string }> {
    const stdout = new PassThrough();
    const chunks: string[] = [];
    stdout.on('data', (c: Buffer) => chunks.push(c.toString()));
    const code = await validateCommand.run(args, { stdout, stderr: new PassThrough(), stdin: new PassThrough() });
    return { code, out: chunks.join('') };
  }

  it('prints ok with the resolved profile for a valid spec', async () => {
    const { code, out } = await run([join(examplesDir, files[0]!)]);
    expect(code).toBe(0);
    expect(out).toMatch(/: ok/);
    expect(out).toMatch(/→ (v6\.6|la-classic|la-phys|lb)/);
  });

  it('prints every error as path: message and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dmasim-validate-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'apiVersion: dmasim/v1\nname: bad\nvm: { platform: sev-snp, memoryMiB: 8192, vcpus: 4 }\nkernel: { profile: v7.2 }\ndevices: [{ id: nvme0, kind: nvme, minAlignMask: "0x1000" }]\nworkload: { operations: 0 }\n');
    const { code, out } = await run([file]);
    expect(code).toBe(2);
    expect(out).toMatch(/devices\[0\]\.minAlignMask: must be 2\^n - 1/);
  });
});
