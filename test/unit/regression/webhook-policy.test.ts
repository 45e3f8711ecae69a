import { createServer, type Server } from 'node:http';
import type { LookupAddress } from 'node:dns';
import { refusedAddressClass, WebhookTargetPolicy } from '../../../src/modules/regression/webhook-policy';
import { checkedLookup, createWebhookTransport } from '../../../src/modules/regression/webhook-transport';

// Webhook targets (SSRF): every class of internal address is refused at creation, in every numeric
// spelling the URL parser accepts, and again at connect time on the address DNS resolved to.
describe('webhook target policy', () => {
  const policy = new WebhookTargetPolicy();

  it.each([
    ['loopback', 'http://127.0.0.1/hook'],
    ['loopback, other address', 'http://127.8.9.10:8080/'],
    ['loopback, hex', 'http://0x7f000001/'],
    ['loopback, decimal', 'http://2130706433/'],
    ['loopback, octal', 'http://0177.0.0.1/'],
    ['loopback, short form', 'http://127.1/'],
    ['loopback, zero-padded', 'http://127.000.000.001/'],
    ['loopback, mixed hex short', 'http://0x7f.1/'],
    ['localhost', 'http://localhost:4000/'],
    ['localhost with trailing dot', 'http://LOCALHOST./'],
    ['a .localhost name', 'https://api.localhost/'],
    ['IPv6 loopback', 'http://[::1]/'],
    ['IPv6 loopback, long form', 'http://[0:0:0:0:0:0:0:1]:80/'],
    ['IPv6 unspecified', 'http://[::]/'],
    ['IPv4-mapped IPv6 loopback', 'http://[::ffff:127.0.0.1]/'],
    ['IPv4-mapped IPv6 public', 'http://[::ffff:8.8.8.8]/'],
    ['IPv4-compatible IPv6', 'http://[::10.0.0.1]/'],
    ['0.0.0.0', 'http://0.0.0.0/'],
    ['0 (0.0.0.0)', 'http://0/'],
    ['0.0.0.0/8', 'http://0.1.2.3/'],
    ['link-local metadata', 'http://169.254.169.254/latest/meta-data/'],
    ['link-local metadata, decimal', 'http://2852039166/'],
    ['RFC 1918 10/8', 'http://10.1.2.3/'],
    ['RFC 1918 172.16/12', 'http://172.31.255.255/'],
    ['RFC 1918 192.168/16', 'https://192.168.1.1/'],
    ['CGNAT', 'http://100.64.0.1/'],
    ['CGNAT upper end', 'http://100.127.255.254/'],
    ['unique-local IPv6', 'http://[fd12:3456::1]/'],
    ['unique-local IPv6 fc', 'http://[fc00::1]/'],
    ['link-local IPv6', 'http://[fe80::1]/'],
    ['multicast', 'http://224.0.0.1/'],
    ['broadcast', 'http://255.255.255.255/'],
    ['NAT64 of loopback', 'http://[64:ff9b::7f00:1]/'],
    ['6to4 of private', 'http://[2002:c0a8:101::1]/'],
  ])('refuses %s (%s) with TARGET_REFUSED', (_what, url) => {
    const checked = policy.check(url);

    expect(checked).toMatchObject({ ok: false, code: 'TARGET_REFUSED' });
    expect(!checked.ok && checked.message).toContain('WEBHOOK_ALLOWED_HOSTS');
  });

  it.each([
    ['user and password', 'https://user:secret@hooks.example.com/'],
    ['user only', 'https://user@hooks.example.com/'],
    ['password only', 'https://:secret@hooks.example.com/'],
  ])('refuses credentials in the URL (%s) with URL_CREDENTIALS', (_what, url) => {
    expect(policy.check(url)).toMatchObject({ ok: false, code: 'URL_CREDENTIALS' });
  });

  it.each([
    ['not a URL', 'hooks.example.com/x'],
    ['ftp', 'ftp://hooks.example.com/'],
    ['file', 'file:///etc/passwd'],
    ['too long', `https://hooks.example.com/${'a'.repeat(2100)}`],
  ])('refuses %s with INVALID_URL', (_what, url) => {
    expect(policy.check(url)).toMatchObject({ ok: false, code: 'INVALID_URL' });
  });

  it.each([
    'https://hooks.example.com/dmasim',
    'http://8.8.8.8/',
    'http://[2001:4860:4860::8888]/',
    'http://100.128.0.1/',
    'http://172.32.0.1/',
    'http://11.0.0.1/',
  ])('accepts the public target %s', (url) => {
    expect(policy.check(url)).toMatchObject({ ok: true });
  });

  it('lets an operator allow internal receivers by CIDR, address or host name, and nothing more', () => {
    const allowing = new WebhookTargetPolicy(['127.0.0.1', '10.20.0.0/16', 'receiver.internal', '::1']);

    expect(allowing.check('http://127.0.0.1:9000/')).toMatchObject({ ok: true });
    expect(allowing.check('http://2130706433:9000/')).toMatchObject({ ok: true });
    expect(allowing.check('http://[::1]/')).toMatchObject({ ok: true });
    expect(allowing.check('http://10.20.3.4/')).toMatchObject({ ok: true });
    expect(allowing.check('http://10.21.0.1/')).toMatchObject({ ok: false, code: 'TARGET_REFUSED' });
    expect(allowing.check('http://127.0.0.2/')).toMatchObject({ ok: false, code: 'TARGET_REFUSED' });
    expect(allowing.check('https://user:pw@10.20.3.4/')).toMatchObject({ ok: false, code: 'URL_CREDENTIALS' });
    // A host name entry allows that name whatever it resolves to, not its address for other names.
    expect(allowing.refusal('RECEIVER.internal.', '192.168.1.5')).toBeUndefined();
    expect(allowing.refusal('other.internal', '192.168.1.5')).toContain('RFC 1918');
  });

  it('names the class of a refused address', () => {
    expect(refusedAddressClass('169.254.169.254')).toContain('link-local');
    expect(refusedAddressClass('100.64.1.1')).toContain('carrier-grade NAT');
    expect(refusedAddressClass('::ffff:10.0.0.1')).toContain('IPv4-mapped');
    expect(refusedAddressClass('fe80::abcd')).toContain('link-local');
    expect(refusedAddressClass('93.184.215.14')).toBeUndefined();
  });
});

describe('webhook connect-time check', () => {
  const resolverOf =
    (table: Record<string, string[]>) =>
    (hostname: string): Promise<LookupAddress[]> =>
      Promise.resolve((table[hostname] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));

  function lookupOnce(
    lookup: ReturnType<typeof checkedLookup>,
    hostname: string,
  ): Promise<{ error: Error | null; address: unknown }> {
    return new Promise((resolve) =>
      lookup(hostname, { all: true }, (error: NodeJS.ErrnoException | null, address: unknown) =>
        resolve({ error, address }),
      ),
    );
  }

  it('refuses a public-looking name that resolves to a private or loopback address', async () => {
    const lookup = checkedLookup(
      new WebhookTargetPolicy(),
      resolverOf({
        'rebind.example.com': ['127.0.0.1'],
        'metadata.example.com': ['169.254.169.254'],
        'mapped.example.com': ['::ffff:127.0.0.1'],
        'ula.example.com': ['fd00::5'],
        'mixed.example.com': ['10.0.0.1', '93.184.215.14'],
      }),
    );

    for (const host of ['rebind.example.com', 'metadata.example.com', 'mapped.example.com', 'ula.example.com'])
      expect((await lookupOnce(lookup, host)).error?.name).toBe('RefusedAddressError');
    // Only the allowed address of a mixed answer is handed to the socket.
    expect(await lookupOnce(lookup, 'mixed.example.com')).toEqual({
      error: null,
      address: [{ address: '93.184.215.14', family: 4 }],
    });
  });

  describe('delivering', () => {
    let receiver: Server;
    let port = 0;
    const hits: string[] = [];

    beforeAll(async () => {
      receiver = createServer((request, response) => {
        hits.push(request.url ?? '');
        if (request.url === '/redirect') response.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
        else response.writeHead(204).end();
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      const address = receiver.address();
      port = typeof address === 'object' && address ? address.port : 0;
    });

    afterAll(async () => {
      await new Promise((resolve) => receiver.close(resolve));
    });

    it('never connects to a name that resolves to loopback unless the operator allowed it', async () => {
      const resolver = resolverOf({ 'hooks.example.com': ['127.0.0.1'] });
      const strict = createWebhookTransport(new WebhookTargetPolicy(), { timeoutMs: 10_000, resolver });
      const allowing = createWebhookTransport(new WebhookTargetPolicy(['127.0.0.1/32']), {
        timeoutMs: 10_000,
        resolver,
      });
      hits.length = 0;

      const refused = await strict.post(`http://hooks.example.com:${port}/rebound`, '{}', {});
      const literal = await strict.post(`http://127.0.0.1:${port}/literal`, '{}', {});
      const delivered = await allowing.post(`http://hooks.example.com:${port}/allowed`, '{}', {});

      expect(refused).toEqual({ kind: 'refused' });
      expect(literal).toEqual({ kind: 'refused' });
      expect(delivered).toEqual({ kind: 'answered', status: 204 });
      expect(hits).toEqual(['/allowed']);
    });

    it('does not follow redirects and reports only the status', async () => {
      const transport = createWebhookTransport(new WebhookTargetPolicy(['127.0.0.1']), { timeoutMs: 10_000 });
      hits.length = 0;

      const outcome = await transport.post(`http://127.0.0.1:${port}/redirect`, '{}', {});

      expect(outcome).toEqual({ kind: 'answered', status: 302 });
      expect(hits).toEqual(['/redirect']);
    });

    it('reports a closed port as unreachable, without the network error', async () => {
      const transport = createWebhookTransport(new WebhookTargetPolicy(['127.0.0.1']), { timeoutMs: 10_000 });
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const address = closed.address();
      await new Promise((resolve) => closed.close(resolve));

      const outcome = await transport.post(
        `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 1}/`,
        '{}',
        {},
      );

      expect(outcome).toEqual({ kind: 'unreachable' });
    });
  });
});
