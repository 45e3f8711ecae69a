import net from 'node:net';
import { checkPostgres, checkRedis, redactUrl, ServiceUnavailableError } from '../../../src/platform/service-check';

/** A port on loopback that nothing listens on: bind, read the port, close. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A server that accepts connections and never answers. */
async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}

describe('checkPostgres', () => {
  it('names PostgreSQL, the URL and the start command when nothing listens', async () => {
    const port = await closedPort();

    const failure = checkPostgres(`postgresql://postgres@127.0.0.1:${port}/x`);

    await expect(failure).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(checkPostgres(`postgresql://postgres@127.0.0.1:${port}/x`)).rejects.toThrow(
      new RegExp(
        `PostgreSQL is not reachable at postgresql://postgres@127.0.0.1:${port}/x \\(ECONNREFUSED\\)[\\s\\S]*pg_ctlcluster`,
      ),
    );
  });
});

describe('checkRedis', () => {
  it('names Redis, the URL and the start command when nothing listens', async () => {
    const port = await closedPort();

    await expect(checkRedis(`redis://127.0.0.1:${port}`)).rejects.toThrow(
      /Redis is not reachable at redis:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)[\s\S]*redis-server/,
    );
  });

  it('gives up after the timeout when the server accepts but never answers', async () => {
    const server = await silentServer();

    await expect(checkRedis(`redis://127.0.0.1:${server.port}`, 200)).rejects.toThrow(/no answer within 200 ms/);
    await server.close();
  });
});

describe('redactUrl', () => {
  it('hides the password and keeps the rest', () => {
    expect(redactUrl('postgresql://app:s3cret@db:5432/dmasim')).toBe('postgresql://app:***@db:5432/dmasim');
  });
});
