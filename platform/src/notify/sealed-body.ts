import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** What a sealed outbox message holds: exactly what was (or will be) delivered. */
export interface MailBody {
  subject: string;
  html: string;
  text: string;
}

const VERSION = 'v1';

/**
 * Seals the delivered body of an e-mail that carries a secret (AES-256-GCM, a key derived from the
 * platform's ENCRYPTION_KEY), so a failed delivery can be retried while nobody reading the outbox
 * table, the admin panel or a backup can read the secret. Null without a key: nothing is kept.
 */
export function createSealer(secret: string | undefined) {
  const key = secret ? Buffer.from(hkdfSync('sha256', secret, 'channelflow', 'outbox sealed body', 32)) : null;
  return {
    available: key !== null,
    seal(body: MailBody): string | null {
      if (!key) return null;
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([cipher.update(JSON.stringify(body), 'utf8'), cipher.final()]);
      return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
    },
    /** The sealed body, or null when it cannot be opened (another key, tampered, none kept). */
    open(sealed: string | null | undefined): MailBody | null {
      if (!key || !sealed) return null;
      const [version, iv, tag, data] = sealed.split('.');
      if (version !== VERSION || !iv || !tag || !data) return null;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        const plain = Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
        return JSON.parse(plain) as MailBody;
      } catch {
        return null;
      }
    },
  };
}

export type Sealer = ReturnType<typeof createSealer>;
