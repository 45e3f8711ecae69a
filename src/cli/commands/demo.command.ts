import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { type CliCommand, ExitCode, UsageError } from '../command';
import { replayTrace } from '../../engine/swiotlb/index';
import { runCommand } from './run.command';

const repoRoot = path.join(__dirname, '..', '..', '..');

const usage = `usage: dmasim demo

What \`npm run demo\` runs, with no services: the engine on every scenario in examples/ (workloads capped
at 20,000 operations each so it takes seconds), then the SWIOTLB allocator model on the bundled
traces that the kernel's own kernel/dma/swiotlb.c produced, comparing slot for slot.`;

export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'run the engine on the bundled examples and replay the kernel allocator traces',
  usage,
  async run(args, io) {
    if (args.length > 0) throw new UsageError(`unexpected argument '${args[0]}'`);
    const examplesDir = path.join(repoRoot, 'examples');
    const examples = (await readdir(examplesDir)).filter((f) => /\.ya?ml$|\.json$/.test(f)).sort().map((f) => path.join('examples', f));
    io.stdout.write(`== dmasim engine on ${examples.length} example scenarios (reference §11 catalogue) ==\n`);
    const runCode = await runCommand.run([...examples.map((f) => path.join(repoRoot, f)), '--operations', '20000'], io);

    const tracesDir = path.join(repoRoot, 'test', 'fixtures', 'swiotlb-traces');
    const traces = (await readdir(tracesDir)).filter((f) => f.endsWith('.trace.jsonl')).sort();
    io.stdout.write(`\n== SWIOTLB allocator vs the kernel's own swiotlb.c on ${traces.length} traces ==\n`);
    let allMatch = true;
    for (const trace of traces) {
      const lines = (await readFile(path.join(tracesDir, trace), 'utf8')).split('\n').filter((l) => l.trim() !== '');
      const expected = (await readFile(path.join(tracesDir, trace.replace('.trace.jsonl', '.expected.jsonl')), 'utf8')).split('\n').filter((l) => l.trim() !== '');
      const result = replayTrace(lines.map((l) => JSON.parse(l) as unknown));
      const matching = result.ok ? result.output.filter((line, i) => line === expected[i]).length : 0;
      const ok = result.ok && matching === expected.length && result.output.length === expected.length;
      allMatch &&= ok;
      io.stdout.write(`  ${ok ? 'MATCH' : 'DIFF '} ${trace.replace('.trace.jsonl', '').padEnd(42)} ${matching}/${expected.length} output lines identical (${lines.length - 1} ops)\n`);
    }
    return runCode !== ExitCode.ok || !allMatch ? ExitCode.failure : ExitCode.ok;
  },
};
