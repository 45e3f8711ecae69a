// Rewrites the docs pages generated from the engine's registries: npm run docs:pages
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { platformsAndKernelsPage, rulesAndClassesPage } from '../src/cli/docs-pages';

const docs = path.join(__dirname, '..', 'docs');
writeFileSync(path.join(docs, 'rules-and-classes.md'), rulesAndClassesPage());
writeFileSync(path.join(docs, 'platforms-and-kernels.md'), platformsAndKernelsPage());
