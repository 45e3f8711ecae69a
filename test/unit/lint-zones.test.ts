import { execFileSync } from 'node:child_process';
import path from 'node:path';

// Lints code as if it lived at a given path in the repo, proving each zone of architecture.md §6 is
// enforced. Every zone has an allowed control case, so a rule that rejects everything fails too.
// All snippets are linted in one ESLint process (test/support/lint-snippets.mjs).
const repoRoot = path.join(__dirname, '..', '..');

interface LintCase {
  zone: string;
  filePath: string;
  code: string;
  /** The rule that must fire, or null when the snippet must lint clean. */
  expectedRule: string | null;
}

const cases: LintCase[] = [
  {
    zone: 'engine: node built-ins',
    filePath: 'src/engine/zone-fixture.ts',
    code: "import fs from 'node:fs';\nexport const x = fs;\n",
    expectedRule: 'no-restricted-imports',
  },
  {
    zone: 'engine: packages with I/O',
    filePath: 'src/engine/zone-fixture.ts',
    code: "import { Queue } from 'bullmq';\nexport const x = Queue;\n",
    expectedRule: 'no-restricted-imports',
  },
  {
    zone: 'engine: files outside src/engine',
    filePath: 'src/engine/zone-fixture.ts',
    code: "import { loadConfig } from '../platform/config';\nexport const x = loadConfig;\n",
    expectedRule: 'import-x/no-restricted-paths',
  },
  {
    zone: 'engine: the clock',
    filePath: 'src/engine/zone-fixture.ts',
    code: 'export const t = Date.now();\n',
    expectedRule: 'no-restricted-globals',
  },
  {
    zone: 'engine: Math.random',
    filePath: 'src/engine/zone-fixture.ts',
    code: 'export const r = Math.random();\n',
    expectedRule: 'no-restricted-properties',
  },
  {
    zone: 'engine: try/catch',
    filePath: 'src/engine/zone-fixture.ts',
    code: 'export function f(): number {\n  try {\n    return 1;\n  } catch {\n    return 2;\n  }\n}\n',
    expectedRule: 'no-restricted-syntax',
  },
  {
    zone: 'engine: own files and zod allowed',
    filePath: 'src/engine/zone-fixture.ts',
    code: "import { invariant } from './invariant';\nimport { z } from 'zod';\nexport const x = [invariant, z];\n",
    expectedRule: null,
  },
  {
    zone: 'prisma: in a service',
    filePath: 'src/modules/team/team.service.ts',
    code: "import { PrismaClient } from '../../generated/prisma/client';\nexport const x = PrismaClient;\n",
    expectedRule: 'no-restricted-imports',
  },
  {
    zone: 'prisma: in a repository allowed',
    filePath: 'src/modules/team/team.repository.ts',
    code: "import { PrismaClient } from '../../generated/prisma/client';\nexport const x = PrismaClient;\n",
    expectedRule: null,
  },
  {
    zone: 'bullmq: in a service',
    filePath: 'src/modules/run/run.service.ts',
    code: "import { Queue } from 'bullmq';\nexport const x = Queue;\n",
    expectedRule: 'no-restricted-imports',
  },
  {
    zone: 'bullmq: in a queue file allowed',
    filePath: 'src/modules/run/run.queue.ts',
    code: "import { Queue } from 'bullmq';\nexport const x = Queue;\n",
    expectedRule: null,
  },
  {
    zone: 'bullmq: in workers/ allowed',
    filePath: 'workers/run.worker.ts',
    code: "import { Worker } from 'bullmq';\nexport const x = Worker;\n",
    expectedRule: null,
  },
  {
    zone: 'environment: outside config',
    filePath: 'src/api/server.ts',
    code: "export const port = process.env['PORT'];\n",
    expectedRule: 'no-restricted-properties',
  },
  {
    zone: 'environment: in config allowed',
    filePath: 'src/platform/config.ts',
    code: "export const port = process.env['PORT'];\n",
    expectedRule: null,
  },
  {
    zone: 'modules: express',
    filePath: 'src/modules/run/zone-fixture.ts',
    code: "import type { RequestHandler } from 'express';\nexport type X = RequestHandler;\n",
    expectedRule: 'import-x/no-restricted-paths',
  },
  {
    zone: 'modules: src/api',
    filePath: 'src/modules/run/zone-fixture.ts',
    code: "import { httpStatusFor } from '../../api/http-status';\nexport const x = httpStatusFor;\n",
    expectedRule: 'import-x/no-restricted-paths',
  },
  {
    zone: 'modules: generated resolver types allowed',
    filePath: 'src/modules/run/zone-fixture.ts',
    code: "import type { Resolvers } from '../../api/generated/resolvers-types';\nexport type X = Resolvers;\n",
    expectedRule: null,
  },
  {
    zone: 'platform: feature modules',
    filePath: 'src/platform/zone-fixture.ts',
    code: "import { RunService } from '../modules/run/run.service';\nexport const x = RunService;\n",
    expectedRule: 'import-x/no-restricted-paths',
  },
  {
    zone: 'engine face: internals from outside',
    filePath: 'src/modules/run/zone-fixture.ts',
    code: "import { validateScenario } from '../../engine/spec/validate';\nexport const x = validateScenario;\n",
    expectedRule: 'import-x/no-restricted-paths',
  },
  {
    zone: 'engine face: internals from workers',
    filePath: 'workers/zone-fixture.ts',
    code: "import { canonicalJson } from '../src/engine/canonical-json';\nexport const x = canonicalJson;\n",
    expectedRule: 'import-x/no-restricted-paths',
  },
  {
    zone: 'engine face: index allowed',
    filePath: 'src/cli/zone-fixture.ts',
    code: "import { validateScenario } from '../engine/index';\nexport const x = validateScenario;\n",
    expectedRule: null,
  },
  {
    zone: 'web: server code',
    filePath: 'web/src/pages/zone-fixture.tsx',
    code: "import { createHttpApp } from '../../../src/api/server';\nexport const x = createHttpApp;\n",
    expectedRule: 'import-x/no-restricted-paths',
  },
  {
    zone: 'web: server code by path pattern',
    filePath: 'web/src/pages/zone-fixture.tsx',
    code: "import { createHttpApp } from '../../../src/api/server';\nexport const x = createHttpApp;\n",
    expectedRule: 'no-restricted-imports',
  },
  {
    zone: 'web: node built-ins',
    filePath: 'web/src/pages/zone-fixture.tsx',
    code: "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
    expectedRule: 'import-x/no-nodejs-modules',
  },
  {
    zone: 'web: own files, generated types and packages allowed',
    filePath: 'web/src/pages/zone-fixture.tsx',
    code: "import type { RunSummaryFragment } from '../api/generated/graphql';\nimport { useQuery } from 'urql';\nexport type X = RunSummaryFragment;\nexport const y = useQuery;\n",
    expectedRule: null,
  },
];

let ruleIdsByCase: string[][] = [];

beforeAll(() => {
  ruleIdsByCase = JSON.parse(
    execFileSync(process.execPath, [path.join(repoRoot, 'test', 'support', 'lint-snippets.mjs')], {
      cwd: repoRoot,
      input: JSON.stringify(cases.map(({ filePath, code }) => ({ filePath, code }))),
      encoding: 'utf8',
    }),
  ) as string[][];
}, 60_000);

describe('lint zones', () => {
  it.each(cases.map((c, index) => [c.zone, index] as const))('%s', (_zone, index) => {
    const { expectedRule } = cases[index]!;
    const ruleIds = ruleIdsByCase[index];

    if (expectedRule === null) expect(ruleIds).toEqual([]);
    else expect(ruleIds).toContain(expectedRule);
  });
});
