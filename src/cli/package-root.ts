import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The directory holding dmasim's package.json, found by walking up from this file: the sources
 * (src/cli) and the build (dist/src/cli) sit at different depths, so fixed `..` counts break one
 * of them.
 */
export function packageRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'dmasim') return dir;
  }
  return join(__dirname, '..', '..');
}
