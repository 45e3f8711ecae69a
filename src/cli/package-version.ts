import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The version in dmasim's package.json. Found by walking up from this file, because the sources
 * (src/cli) and the build (dist/src/cli) sit at different depths.
 */
export function packageVersion(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (parsed.name === 'dmasim' && parsed.version) return parsed.version;
  }
  return 'unknown';
}
