import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// The committed resolver types must be what graphql-codegen produces from the current SDL.
const repoRoot = path.join(__dirname, '..', '..', '..');

describe('generated resolver types', () => {
  it('are current with graphql/*.graphql (run npm run codegen)', () => {
    const committed = path.join(repoRoot, 'src', 'api', 'generated', 'resolvers-types.ts');
    const outDir = mkdtempSync(path.join(tmpdir(), 'dmasim-codegen-'));
    const config = readFileSync(path.join(repoRoot, 'codegen.ts'), 'utf8').replace(
      "'src/api/generated/resolvers-types.ts'",
      JSON.stringify(path.join(outDir, 'resolvers-types.ts')),
    );
    const configFile = path.join(outDir, 'codegen.ts');
    writeFileSync(configFile, config);
    const codegenBin = realpathSync(path.join(repoRoot, 'node_modules', '.bin', 'graphql-codegen'));

    execFileSync(process.execPath, [codegenBin, '--config', configFile, '--silent'], { cwd: repoRoot, stdio: 'pipe' });

    expect(readFileSync(path.join(outDir, 'resolvers-types.ts'), 'utf8')).toBe(readFileSync(committed, 'utf8'));
  }, 60_000);
});
