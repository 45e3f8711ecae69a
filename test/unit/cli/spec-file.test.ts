// The spec-loading commands (run, review, advise, minimize) share one loader: an unreadable or
// invalid spec is reported the same way by each (exit 2), and a bad flag value is reported as
// `dmasim <command>: message` without the usage text.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../../src/cli/main';
import { memoryIo } from '../../support/memory-io';

let dir: string;
let invalid: string;
const missing = '/nonexistent/spec.yaml';
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dmasim-spec-file-'));
  invalid = path.join(dir, 'no-devices.yaml');
  writeFileSync(
    invalid,
    [
      'apiVersion: dmasim/v1',
      'name: no-devices',
      'vm: { platform: sev-snp, memoryMiB: 4096, vcpus: 1 }',
      'kernel: { profile: v7.2 }',
      'devices: []',
      'workload: { operations: 10 }',
      '',
    ].join('\n'),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo();
  const code = await runCli(args, io);
  return { code, out: io.out(), err: io.err() };
}

const commands: ReadonlyArray<{ name: string; args: (file: string) => string[]; unreadable: string }> = [
  { name: 'run', args: (f) => ['run', f], unreadable: `${missing}: cannot read (ENOENT)\n` },
  {
    name: 'review',
    args: (f) => ['review', f, '--base', 'v7.2', '--patched', 'v7.2'],
    unreadable: `${missing}: cannot read (ENOENT)\n`,
  },
  { name: 'advise', args: (f) => ['advise', f], unreadable: `dmasim advise: cannot read ${missing} (ENOENT)\n` },
  {
    name: 'minimize',
    args: (f) => ['minimize', f, '--keep', 'F1'],
    unreadable: `dmasim minimize: cannot read ${missing} (ENOENT)\n`,
  },
];

describe.each(commands)('dmasim $name loading a spec', ({ args, unreadable }) => {
  it('reports an unreadable file with its error code, exit 2', async () => {
    const result = await cli(...args(missing));
    expect(result).toEqual({ code: 2, out: '', err: unreadable });
  });

  it('reports an invalid spec as FILE: invalid and one indented path: message line per problem, exit 2', async () => {
    const result = await cli(...args(invalid));
    expect(result).toEqual({
      code: 2,
      out: '',
      err: `${invalid}: invalid\n  devices: Too small: expected array to have >=1 items\n`,
    });
  });
});

describe('flag values the user must fix', () => {
  it.each([
    ['run', ['run', 'x.yaml', '--operations', '0'], "dmasim run: --operations: '0' is not a positive integer\n"],
    [
      'review',
      ['review', 'x.yaml', '--base', 'v7.2', '--patched', 'v7.2', '--operations', 'many'],
      "dmasim review: --operations: 'many' is not a positive integer\n",
    ],
  ])('%s prints the message without the usage, exit 2', async (_name, args, err) => {
    expect(await cli(...args)).toEqual({ code: 2, out: '', err });
  });
});
