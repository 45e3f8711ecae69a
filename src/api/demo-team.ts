import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Services } from './services';

/** The bundled example scenarios (docs/kernel-dma.md §11 catalogue). */
export const examplesDir = path.join(__dirname, '..', '..', 'examples');

/** The bundled example specs in file-name order, as file name and text (the demo team, patch reviews of the examples). */
export async function readBundledExamples(): Promise<Array<{ file: string; text: string }>> {
  const files = (await readdir(examplesDir)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
  return Promise.all(files.map(async (file) => ({ file, text: await readFile(path.join(examplesDir, file), 'utf8') })));
}

/**
 * First start on an empty database: create the `demo` team, load the example scenarios into it and
 * return its admin token (shown once by the caller). Does nothing once any team exists.
 */
export async function bootstrapDemoTeam(services: Services): Promise<{ token: string; scenarios: number } | null> {
  if (!(await services.teams.isEmpty())) return null;
  const { bearer } = await services.teams.createTeam('demo');
  const viewer = await services.teams.authenticate(`Bearer ${bearer}`);
  let loaded = 0;
  for (const example of await readBundledExamples()) {
    const result = await services.scenarios.create(viewer, { spec: example.text, tags: ['example'] });
    if (!('userErrors' in result)) loaded++;
  }
  return { token: bearer, scenarios: loaded };
}
