import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const DEFAULT_CLIENT_ID = 'channelflow';
/** How long an access token from the OAuth endpoint is good for (Zeebe clients refresh before it runs out). */
export const ACCESS_TOKEN_SECONDS = 3600;
const ACCESS_TOKEN_PREFIX = 'cfgw1';

/**
 * Who may call the embedded Zeebe gateway: holders of the static token (WORKFLOW_GATEWAY_TOKEN,
 * the platform's own client and @camunda8/sdk clients) or of an access token the OAuth
 * client-credentials endpoint issued (zbctl, Camunda Modeler, other Zeebe clients).
 */
export interface GatewayCredentials {
  /** The static bearer token (never log it). */
  readonly token: string;
  readonly clientId: string;
  /** True for the static token or an unexpired access token issued here; constant time in the secrets. */
  accepts(bearer: string): boolean;
  /** An access token for matching client credentials; null when they do not match. */
  issue(clientId: string, clientSecret: string, nowMs?: number): { accessToken: string; expiresIn: number } | null;
}

// Secrets generated when the environment has none: for this process's lifetime, so a restart of
// Strapi inside one process (tests) keeps clients connected.
const generated = new Map<string, string>();

/** Reads WORKFLOW_GATEWAY_TOKEN / _CLIENT_ID / _CLIENT_SECRET; a missing secret is generated in memory (logged, never printed). */
export function gatewayCredentials(env: NodeJS.ProcessEnv, log: { info(message: string): void }): GatewayCredentials {
  const secret = (name: string) => {
    const value = env[name];
    if (value) {
      if (value.length < 16) throw new Error(`${name} must be at least 16 characters long (npm start generates one into platform/.env)`);
      return value;
    }
    if (!generated.has(name)) {
      generated.set(name, randomBytes(32).toString('base64url'));
      log.info(`${name} is not set: generated one in memory for this process (set it, e.g. in platform/.env, to give it to other clients)`);
    }
    return generated.get(name)!;
  };
  const token = secret('WORKFLOW_GATEWAY_TOKEN');
  const clientSecret = secret('WORKFLOW_GATEWAY_CLIENT_SECRET');
  const clientId = env.WORKFLOW_GATEWAY_CLIENT_ID || DEFAULT_CLIENT_ID;
  // Access tokens are signed with a key derived from the client secret: rotating the secret revokes them.
  const signingKey = createHmac('sha256', clientSecret).update('channelflow workflow gateway access token').digest();
  const sign = (payload: string) => createHmac('sha256', signingKey).update(payload).digest('base64url');

  return {
    token,
    clientId,
    accepts(bearer) {
      if (sameSecret(bearer, token)) return true;
      const [prefix, expires, signature, ...rest] = bearer.split('.');
      if (prefix !== ACCESS_TOKEN_PREFIX || !expires || !signature || rest.length) return false;
      if (!sameSecret(signature, sign(`${prefix}.${expires}`))) return false;
      return Number(expires) * 1000 > Date.now();
    },
    issue(id, presentedSecret, nowMs = Date.now()) {
      // Both compared, whatever the first answer, so timing tells nothing about which was wrong.
      const idMatches = sameSecret(id, clientId);
      const secretMatches = sameSecret(presentedSecret, clientSecret);
      if (!idMatches || !secretMatches) return null;
      const payload = `${ACCESS_TOKEN_PREFIX}.${Math.floor(nowMs / 1000) + ACCESS_TOKEN_SECONDS}`;
      return { accessToken: `${payload}.${sign(payload)}`, expiresIn: ACCESS_TOKEN_SECONDS };
    },
  };
}

/** Constant-time equality of two strings of any length (their SHA-256 digests are compared). */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}
