import type { Context } from 'koa';
import { isChannelflowError, rateLimit } from '@channelflow/sdk';
import type { GatewayCredentials } from './credentials';

/**
 * The OAuth 2.0 client-credentials token endpoint (RFC 6749 §4.4) Zeebe clients that cannot
 * hold a static token speak: zbctl, Camunda Modeler, the Go and Java clients. Credentials come
 * form-encoded or as JSON in the body, or as HTTP Basic; answers and refusals are in RFC 6749's
 * shape (`{"error":"invalid_client"}`), which those clients parse, not the platform's.
 */
export function answerTokenRequest(ctx: Context, credentials: GatewayCredentials | null, clientIp: string): void {
  ctx.type = 'application/json';
  // RFC 6749 §5.1: token responses must not be cached.
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
  const refuse = (status: number, error: string, description: string) => {
    ctx.status = status;
    ctx.body = { error, error_description: description };
  };
  try {
    rateLimit(`workflow.oauth-token:${clientIp}`, { limit: Number(process.env.WORKFLOW_GATEWAY_TOKEN_REQUESTS_PER_MINUTE ?? 30), windowMs: 60_000 });
  } catch (error) {
    if (!isChannelflowError(error)) throw error;
    const retryAfter = error.details?.retryAfterSeconds;
    if (typeof retryAfter === 'number') ctx.set('Retry-After', String(retryAfter));
    return refuse(429, 'slow_down', error.message);
  }
  if (!credentials) return refuse(404, 'invalid_request', 'This platform runs no embedded Zeebe gateway (WORKFLOW_ENGINE=zeebe): get tokens from your cluster\'s identity provider');

  const body = (ctx.request as { body?: unknown }).body;
  const fields = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const field = (name: string) => (typeof fields[name] === 'string' ? (fields[name] as string) : undefined);
  const basic = basicCredentials(ctx.get('authorization'));
  if (field('grant_type') !== 'client_credentials') {
    return refuse(400, field('grant_type') ? 'unsupported_grant_type' : 'invalid_request', "Expected grant_type=client_credentials (with client_id and client_secret)");
  }
  const clientId = basic?.clientId ?? field('client_id');
  const clientSecret = basic?.clientSecret ?? field('client_secret');
  if (!clientId || !clientSecret) return refuse(400, 'invalid_request', 'Expected client_id and client_secret, in the body or as HTTP Basic authentication');
  const issued = credentials.issue(clientId, clientSecret);
  if (!issued) {
    if (basic) ctx.set('WWW-Authenticate', 'Basic realm="channelflow workflow gateway"');
    return refuse(401, 'invalid_client', 'Unknown client or wrong client secret (WORKFLOW_GATEWAY_CLIENT_ID / WORKFLOW_GATEWAY_CLIENT_SECRET)');
  }
  ctx.status = 200;
  ctx.body = { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn };
}

/** RFC 6749 §2.3.1: Basic with the form-encoded client id and secret. */
function basicCredentials(header: string): { clientId: string; clientSecret: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  return { clientId: decode(decoded.slice(0, colon)), clientSecret: decode(decoded.slice(colon + 1)) };
}
