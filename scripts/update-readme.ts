// Rewrites the README's generated tables (configuration, CLI commands): npm run docs:readme
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fillReadme, renderReadmeTables } from '../src/cli/readme-tables';

const file = path.join(__dirname, '..', 'README.md');
writeFileSync(file, fillReadme(readFileSync(file, 'utf8'), renderReadmeTables()));
