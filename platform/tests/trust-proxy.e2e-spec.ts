import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';

// A public mutation limited to 10 calls per 10 minutes per client address.
const ACCEPT = 'mutation ($token: String!) { acceptDealerInvitation(token: $token, password: "Spring-2026-pass") { jwt } }';

/** The error codes of `calls` attempts, each sent with the X-Forwarded-For header `forwardedFor(i)`. */
async function attempts(env: TestEnvironment, calls: number, forwardedFor: (i: number) => string): Promise<string[]> {
  const codes: string[] = [];
  for (let i = 0; i < calls; i += 1) {
    const res = await env.http('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor(i) },
      body: JSON.stringify({ query: ACCEPT, variables: { token: `no-such-invitation-token-${i}-xxxxxxxx` } }),
    });
    const body = (await res.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
    codes.push(body.errors?.[0]?.extensions?.code ?? 'OK');
  }
  return codes;
}

describe('TRUST_PROXY=true (behind a reverse proxy)', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment({ env: { TRUST_PROXY: 'true' } });
  });
  afterAll(() => env?.destroy());

  it('limits each client address the proxy names, not the proxy itself', async () => {
    // Twelve clients behind one proxy, one attempt each: nobody is limited.
    expect(await attempts(env, 12, (i) => `203.0.113.${i + 1}`)).not.toContain('RATE_LIMITED');
    // One client trying twelve times is, also when it writes made-up addresses before the one the proxy appended.
    expect(await attempts(env, 12, (i) => `192.0.2.${i + 1}, 198.51.100.7`)).toContain('RATE_LIMITED');
  });
});

describe('TRUST_PROXY unset (default)', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment({ env: { TRUST_PROXY: '' } });
  });
  afterAll(() => env?.destroy());

  it('ignores X-Forwarded-For, so a client cannot dodge a limit by inventing addresses', async () => {
    expect(await attempts(env, 12, (i) => `192.0.2.${i + 1}`)).toContain('RATE_LIMITED');
  });
});
