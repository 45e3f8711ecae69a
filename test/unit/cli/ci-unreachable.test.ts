// dmasim ci against a server that is not there names the URL and the cause, never "fetch failed".
import { createServer } from 'node:net';
import { runCli } from '../../../src/cli/main';
import { describeFetchFailure } from '../../../src/cli/commands/ci.command';
import { memoryIo } from '../../support/memory-io';

/** A loopback port nothing listens on: bound, read, closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('dmasim ci: server unreachable', () => {
  it('exits 3 naming the GraphQL URL and ECONNREFUSED, with a hint', async () => {
    const port = await closedPort();
    const io = memoryIo();
    const code = await runCli(
      ['ci', '--suite', 'vmbus', '--server', `http://127.0.0.1:${port}`, '--token', 'dms_x'],
      io,
    );
    expect(code).toBe(3);
    expect(io.err()).toContain(`dmasim ci: cannot reach http://127.0.0.1:${port}/graphql: ECONNREFUSED`);
    expect(io.err()).toContain('is the server running');
    expect(io.err()).not.toMatch(/fetch failed/);
  });

  it("takes the reason from the TypeError's cause (what undici puts there)", () => {
    const error = new TypeError('fetch failed', {
      cause: Object.assign(new Error('getaddrinfo ENOTFOUND ci.example'), { code: 'ENOTFOUND' }),
    });
    expect(describeFetchFailure('http://ci.example/graphql', error)).toBe(
      'cannot reach http://ci.example/graphql: ENOTFOUND: getaddrinfo ENOTFOUND ci.example — check the host name in --server',
    );
  });
});
