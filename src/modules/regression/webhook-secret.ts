import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Prefix of an encrypted secret: `v1.<iv>.<tag>.<ciphertext>` (base64url parts). Plain secrets start with `whsec_`. */
const sealedPrefix = 'v1.';
/** Binds a ciphertext to its use, so a value sealed for something else does not open here. */
const associatedData = Buffer.from('dmasim webhook signing secret');

/**
 * Webhook signing secrets at rest. Deliveries must sign with the secret itself (HMAC), so it cannot
 * be hashed like an API token; with WEBHOOK_SECRET_KEY set it is stored encrypted with AES-256-GCM
 * (random 96-bit IV, 128-bit tag). Without a key new secrets are stored as given. Stored plain
 * secrets (written before a key was set) still open; encrypted ones need the key they were sealed with.
 */
export class WebhookSecretBox {
  constructor(private readonly key: Buffer | null) {
    if (key !== null && key.length !== 32) throw new Error('the webhook secret key must be 32 bytes');
  }

  /** Whether new secrets are stored encrypted. */
  get encrypts(): boolean {
    return this.key !== null;
  }

  seal(secret: string): string {
    if (!this.key) return secret;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(associatedData);
    const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return `${sealedPrefix}${[iv, cipher.getAuthTag(), ciphertext].map((b) => b.toString('base64url')).join('.')}`;
  }

  /** The secret of a stored value; throws when it is encrypted and the key is missing or another. */
  open(stored: string): string {
    if (!stored.startsWith(sealedPrefix)) return stored;
    if (!this.key)
      throw new Error('this webhook secret is encrypted: set WEBHOOK_SECRET_KEY to the key that sealed it');
    const [iv = '', tag = '', ciphertext = ''] = stored.slice(sealedPrefix.length).split('.');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(associatedData);
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  }
}
