import { configDocs } from '../platform/config';
import { commands } from './commands/index';

/** The README's generated sections: marker name → Markdown. Kept current by test/unit/readme.test.ts. */
export function renderReadmeTables(): Record<'config-table' | 'cli-table', string> {
  const configRows = configDocs.map(({ variable, meaning }) => `| \`${variable}\` | ${meaning} |`);
  const cliRows = commands.map((c) => `| \`dmasim ${c.name}\` | ${c.summary} |`);
  return {
    'config-table': ['| variable | meaning |', '|---|---|', ...configRows].join('\n'),
    'cli-table': ['| command | what it does |', '|---|---|', ...cliRows].join('\n'),
  };
}

/** Replaces the text between `<!-- name:start -->` and `<!-- name:end -->` markers. */
export function fillReadme(readme: string, tables: Record<string, string>): string {
  let filled = readme;
  for (const [name, body] of Object.entries(tables)) {
    const pattern = new RegExp(`(<!-- ${name}:start -->\\n)[\\s\\S]*?(<!-- ${name}:end -->)`);
    if (!pattern.test(filled)) throw new Error(`README has no ${name} markers`);
    filled = filled.replace(pattern, (_m, start: string, end: string) => `${start}${body}\n${end}`);
  }
  return filled;
}
