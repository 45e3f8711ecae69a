import { BlockList, isIP } from 'node:net';

/**
 * Where webhooks may point. A webhook URL is checked when it is created and again when each
 * delivery connects (on the address DNS resolved, see webhook-transport.ts), so neither a literal
 * nor a DNS name can reach loopback, private, link-local or other internal addresses — unless an
 * operator allow-listed the receiver (WEBHOOK_ALLOWED_HOSTS: host names, IP addresses or CIDRs).
 */

/** Address ranges no webhook may reach, with the name a refusal gives. More specific ranges first. */
const refusedRanges: ReadonlyArray<{ readonly cidr: string; readonly what: string }> = [
  { cidr: '0.0.0.0/8', what: '"this network" (0.0.0.0/8)' },
  { cidr: '10.0.0.0/8', what: 'private (RFC 1918, 10.0.0.0/8)' },
  { cidr: '100.64.0.0/10', what: 'shared carrier-grade NAT (100.64.0.0/10)' },
  { cidr: '127.0.0.0/8', what: 'loopback (127.0.0.0/8)' },
  { cidr: '169.254.0.0/16', what: 'link-local (169.254.0.0/16)' },
  { cidr: '172.16.0.0/12', what: 'private (RFC 1918, 172.16.0.0/12)' },
  { cidr: '192.0.0.0/24', what: 'IETF protocol assignments (192.0.0.0/24)' },
  { cidr: '192.168.0.0/16', what: 'private (RFC 1918, 192.168.0.0/16)' },
  { cidr: '198.18.0.0/15', what: 'benchmarking (198.18.0.0/15)' },
  { cidr: '224.0.0.0/4', what: 'multicast (224.0.0.0/4)' },
  { cidr: '240.0.0.0/4', what: 'reserved or broadcast (240.0.0.0/4)' },
  { cidr: '::/128', what: 'unspecified (::)' },
  { cidr: '::1/128', what: 'loopback (::1)' },
  { cidr: '::ffff:0:0/96', what: 'IPv4-mapped IPv6 (::ffff:0:0/96)' },
  { cidr: '::/96', what: 'IPv4-compatible IPv6 (::/96)' },
  { cidr: '64:ff9b::/96', what: 'NAT64 (64:ff9b::/96)' },
  { cidr: '64:ff9b:1::/48', what: 'local NAT64 (64:ff9b:1::/48)' },
  { cidr: '100::/64', what: 'discard-only (100::/64)' },
  { cidr: '2002::/16', what: '6to4 (2002::/16)' },
  { cidr: 'fc00::/7', what: 'unique-local (fc00::/7)' },
  { cidr: 'fe80::/10', what: 'link-local (fe80::/10)' },
  { cidr: 'fec0::/10', what: 'site-local (fec0::/10)' },
  { cidr: 'ff00::/8', what: 'multicast (ff00::/8)' },
];

type Family = 'ipv4' | 'ipv6';

function familyOf(address: string): Family | undefined {
  const version = isIP(address);
  return version === 4 ? 'ipv4' : version === 6 ? 'ipv6' : undefined;
}

/**
 * One range as a BlockList, checked only against addresses of its own family (a BlockList also
 * matches IPv4 rules against IPv4-mapped IPv6 and the reverse; the ranges name those separately).
 */
function rangeOf(cidr: string): { family: Family; list: BlockList } {
  const [network = '', prefix] = cidr.split('/');
  const family = familyOf(network);
  if (!family) throw new Error(`not a CIDR: ${cidr}`);
  const list = new BlockList();
  list.addSubnet(network, prefix === undefined ? (family === 'ipv4' ? 32 : 128) : Number(prefix), family);
  return { family, list };
}

const refused = refusedRanges.map((range) => ({ ...range, ...rangeOf(range.cidr) }));

/** An IP literal without the brackets a URL puts around IPv6. */
function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** The lower-case host name without a trailing dot (`LocalHost.` → `localhost`). */
function normalHostName(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

/** Why an IP address is refused (e.g. `loopback (127.0.0.0/8)`), or undefined for a public address. */
export function refusedAddressClass(address: string): string | undefined {
  const family = familyOf(address);
  if (!family) return 'not an IP address';
  return refused.find((range) => range.family === family && range.list.check(address, family))?.what;
}

/** One checked webhook URL, or why it is refused (`code` as in InputRejected). */
export type UrlCheck =
  | { readonly ok: true; readonly url: URL }
  | {
      readonly ok: false;
      readonly code: 'INVALID_URL' | 'URL_CREDENTIALS' | 'TARGET_REFUSED';
      readonly message: string;
    };

const maxUrlLength = 2048;

export class WebhookTargetPolicy {
  private readonly hosts: ReadonlySet<string>;
  private readonly allowed: ReadonlyArray<{ family: Family; list: BlockList }>;

  /** `allowList`: host names, IP addresses and CIDRs (validated by the configuration). */
  constructor(allowList: readonly string[] = []) {
    const hosts = new Set<string>();
    const allowed: Array<{ family: Family; list: BlockList }> = [];
    for (const entry of allowList) {
      const [network = '', prefix] = entry.split('/');
      if (familyOf(unbracket(network)))
        allowed.push(rangeOf(prefix === undefined ? unbracket(network) : `${unbracket(network)}/${prefix}`));
      else hosts.add(normalHostName(entry));
    }
    this.hosts = hosts;
    this.allowed = allowed;
  }

  /** Whether an operator allow-listed this host name (exactly, case-insensitive). */
  isHostAllowListed(hostName: string): boolean {
    return this.hosts.has(normalHostName(hostName));
  }

  /**
   * Connect-time check of a resolved (or literal) address: allowed when the host name or the
   * address is allow-listed, refused when it lies in a refused range. Returns the refusal reason.
   */
  refusal(hostName: string, address: string): string | undefined {
    const family = familyOf(address);
    if (!family) return 'not an IP address';
    if (this.isHostAllowListed(hostName)) return undefined;
    if (this.allowed.some((range) => range.family === family && range.list.check(address, family))) return undefined;
    return refusedAddressClass(address);
  }

  /**
   * The creation-time check: an http(s) URL without credentials whose host is not a refused IP
   * literal (every numeric form — 0x7f000001, 2130706433, 0177.0.0.1, 127.1 — is normalised by the
   * URL parser first) and not `localhost`. DNS names are checked again when a delivery connects.
   */
  check(raw: string): UrlCheck {
    if (raw.length > maxUrlLength || !URL.canParse(raw))
      return {
        ok: false,
        code: 'INVALID_URL',
        message: `must be an http(s) URL of at most ${maxUrlLength} characters`,
      };
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      return { ok: false, code: 'INVALID_URL', message: 'must be an http(s) URL' };
    if (url.username !== '' || url.password !== '')
      return {
        ok: false,
        code: 'URL_CREDENTIALS',
        message: 'must not contain credentials (user:password@); authenticate deliveries by their signature',
      };
    const host = unbracket(url.hostname);
    if (familyOf(host)) {
      const why = this.refusal(host, host);
      return why ? { ok: false, code: 'TARGET_REFUSED', message: refusedMessage(host, why) } : { ok: true, url };
    }
    const name = normalHostName(host);
    if ((name === 'localhost' || name.endsWith('.localhost')) && !this.isHostAllowListed(name))
      return { ok: false, code: 'TARGET_REFUSED', message: refusedMessage(name, 'loopback (localhost)') };
    return { ok: true, url };
  }
}

function refusedMessage(host: string, why: string): string {
  return `${host} is a ${why} address; webhooks may only reach public addresses (an operator can allow internal receivers with WEBHOOK_ALLOWED_HOSTS)`;
}
