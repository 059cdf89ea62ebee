import fs from 'node:fs';
import net from 'node:net';

export interface GatewayListenOptions {
  host: string;
  port: number;
  /** PEM certificate chain and key; null serves plaintext (loopback only). */
  tls: { cert: Buffer; key: Buffer } | null;
}

/**
 * Where and how the embedded gateway listens: 127.0.0.1 by default. Bearer tokens in plaintext
 * are only safe on this machine, so any other address needs WORKFLOW_GATEWAY_TLS_CERT and _KEY.
 */
export function gatewayListenOptions(env: NodeJS.ProcessEnv): GatewayListenOptions {
  const host = env.WORKFLOW_GATEWAY_HOST || '127.0.0.1';
  const port = Number(env.WORKFLOW_GATEWAY_PORT ?? 26500);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`WORKFLOW_GATEWAY_PORT must be a port number (0 for any free port), got "${env.WORKFLOW_GATEWAY_PORT}"`);
  const certPath = env.WORKFLOW_GATEWAY_TLS_CERT;
  const keyPath = env.WORKFLOW_GATEWAY_TLS_KEY;
  if (Boolean(certPath) !== Boolean(keyPath)) {
    throw new Error('WORKFLOW_GATEWAY_TLS_CERT and WORKFLOW_GATEWAY_TLS_KEY go together: set both (PEM file paths) or neither');
  }
  if (!certPath || !keyPath) {
    if (!isLoopback(host)) {
      throw new Error(
        `WORKFLOW_GATEWAY_HOST=${host} would expose the Zeebe gateway beyond this machine in plaintext, bearer tokens included: ` +
          'set WORKFLOW_GATEWAY_TLS_CERT and WORKFLOW_GATEWAY_TLS_KEY (PEM file paths) to serve TLS, or keep the default 127.0.0.1',
      );
    }
    return { host, port, tls: null };
  }
  return { host, port, tls: { cert: readPem(certPath, 'WORKFLOW_GATEWAY_TLS_CERT'), key: readPem(keyPath, 'WORKFLOW_GATEWAY_TLS_KEY') } };
}

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost') return true;
  if (net.isIPv4(bare)) return bare.startsWith('127.');
  if (net.isIPv6(bare)) return bare === '::1' || /^::ffff:127\./.test(bare);
  return false;
}

function readPem(file: string, name: string): Buffer {
  let content: Buffer;
  try {
    content = fs.readFileSync(file);
  } catch (error) {
    throw new Error(`${name}=${file} cannot be read: ${(error as Error).message}`);
  }
  if (!content.includes('-----BEGIN ')) throw new Error(`${name}=${file} is not a PEM file`);
  return content;
}
