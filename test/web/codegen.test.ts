/**
 * @jest-environment node
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// The committed operation types must be what graphql-codegen produces from the current SDL and
// web/src/api/operations.graphql; this also proves every dashboard operation validates against the schema.
const repoRoot = path.join(__dirname, '..', '..');

describe('generated dashboard operation types', () => {
  it('are current with graphql/*.graphql and operations.graphql (run npm run codegen:web)', () => {
    const committed = path.join(repoRoot, 'web', 'src', 'api', 'generated', 'graphql.ts');
    const outDir = mkdtempSync(path.join(tmpdir(), 'dmasim-web-codegen-'));
    const config = readFileSync(path.join(repoRoot, 'web', 'codegen.ts'), 'utf8').replace(
      "'web/src/api/generated/graphql.ts'",
      JSON.stringify(path.join(outDir, 'graphql.ts')),
    );
    const configFile = path.join(outDir, 'codegen.ts');
    writeFileSync(configFile, config);
    const codegenBin = realpathSync(path.join(repoRoot, 'node_modules', '.bin', 'graphql-codegen'));

    execFileSync(process.execPath, [codegenBin, '--config', configFile, '--silent'], { cwd: repoRoot, stdio: 'pipe' });

    expect(readFileSync(path.join(outDir, 'graphql.ts'), 'utf8')).toBe(readFileSync(committed, 'utf8'));
  }, 60_000);
});
