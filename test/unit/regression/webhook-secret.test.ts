import { randomBytes } from 'node:crypto';
import { WebhookSecretBox } from '../../../src/modules/regression/webhook-secret';
import { ConfigError, parseConfig } from '../../../src/platform/config';

describe('webhook secrets at rest', () => {
  const key = randomBytes(32);

  it('seals with AES-256-GCM: the stored value hides the secret, differs each time and opens to it', () => {
    const box = new WebhookSecretBox(key);
    const secret = 'whsec_abcdefghijklmnopqrstuvwxyz012345';

    const first = box.seal(secret);
    const second = box.seal(secret);

    expect(first).toMatch(/^v1\./);
    expect(first).not.toContain('abcdefghijklmnop');
    expect(first).not.toBe(second);
    expect(box.open(first)).toBe(secret);
    expect(box.open(second)).toBe(secret);
  });

  it('refuses a tampered value or another key, and needs the key for sealed values', () => {
    const sealed = new WebhookSecretBox(key).seal('whsec_x');
    const parts = sealed.split('.');
    const tampered = [...parts.slice(0, 3), Buffer.from('whsec_y').toString('base64url')].join('.');

    expect(() => new WebhookSecretBox(key).open(tampered)).toThrow();
    expect(() => new WebhookSecretBox(randomBytes(32)).open(sealed)).toThrow();
    expect(() => new WebhookSecretBox(null).open(sealed)).toThrow(/WEBHOOK_SECRET_KEY/);
  });

  it('keeps reading secrets stored before a key was set, and stores as given without a key', () => {
    expect(new WebhookSecretBox(key).open('whsec_legacy')).toBe('whsec_legacy');
    expect(new WebhookSecretBox(null).seal('whsec_plain')).toBe('whsec_plain');
  });
});

describe('regression settings in the configuration', () => {
  it('defaults to no allow-list, no key, a 5-minute schedule interval and 2000 queued runs per team', () => {
    expect(parseConfig({})).toMatchObject({
      webhookAllowedHosts: [],
      webhookSecretKey: null,
      scheduleMinIntervalMs: 300_000,
      teamMaxQueuedRuns: 2000,
    });
  });

  it('reads the allow-list, the key in hex or base64, and the limits', () => {
    const hex = parseConfig({
      WEBHOOK_ALLOWED_HOSTS: ' 127.0.0.1/32, hooks.internal ,10.0.0.0/8,::1,[fd00::]/8',
      WEBHOOK_SECRET_KEY: key64hex(),
      SCHEDULE_MIN_INTERVAL_SECONDS: '60',
      TEAM_MAX_QUEUED_RUNS: '10',
    });
    const base64 = parseConfig({ WEBHOOK_SECRET_KEY: randomBytes(32).toString('base64') });

    expect(hex.webhookAllowedHosts).toEqual(['127.0.0.1/32', 'hooks.internal', '10.0.0.0/8', '::1', '[fd00::]/8']);
    expect(hex.webhookSecretKey?.length).toBe(32);
    expect(hex.scheduleMinIntervalMs).toBe(60_000);
    expect(hex.teamMaxQueuedRuns).toBe(10);
    expect(base64.webhookSecretKey?.length).toBe(32);
  });

  it.each([
    ['WEBHOOK_ALLOWED_HOSTS', '127.0.0.1/33'],
    ['WEBHOOK_ALLOWED_HOSTS', 'http://hooks.internal'],
    ['WEBHOOK_ALLOWED_HOSTS', 'a b'],
    ['WEBHOOK_SECRET_KEY', 'too-short'],
    ['SCHEDULE_MIN_INTERVAL_SECONDS', '0'],
    ['TEAM_MAX_QUEUED_RUNS', '0'],
  ])('names %s=%s as invalid', (variable, value) => {
    expect(() => parseConfig({ [variable]: value })).toThrow(ConfigError);
    try {
      parseConfig({ [variable]: value });
    } catch (error: unknown) {
      expect((error as ConfigError).issues[0]).toMatch(new RegExp(`^${variable}: `));
    }
  });
});

function key64hex(): string {
  return randomBytes(32).toString('hex');
}
