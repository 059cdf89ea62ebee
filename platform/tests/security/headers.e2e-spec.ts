import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';

const htmlPage = path.join(__dirname, '..', 'fixtures', 'plugins', 'html-page');
const today = new Date().toISOString().slice(0, 10);
const STATEMENT = 'query ($from: String!, $to: String!) { myStatement(from: $from, to: $to) { html(locale: "en") } }';

/** What the admin panel may load in production: its own bundle, no inline or foreign script, framed by itself only. */
const PLATFORM_POLICY = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'connect-src': ["'self'", 'https:'],
  'font-src': ["'self'", 'https:', 'data:'],
  'form-action': ["'self'"],
  'frame-ancestors': ["'self'"],
  'img-src': ["'self'", 'data:', 'blob:', 'https://market-assets.strapi.io'],
  'media-src': ["'self'", 'data:', 'blob:'],
  'object-src': ["'none'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", 'https:', "'unsafe-inline'"],
};
/** A printable page: inline styles and images, and nothing that runs. */
const PRINTABLE_POLICY = {
  'default-src': ["'none'"],
  'style-src': ["'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'self'"],
};
const { 'frame-ancestors': _notInMeta, ...PRINTABLE_META_POLICY } = PRINTABLE_POLICY;

/** "a 'b'; c d" → { a: ["'b'"], c: ['d'] }, so a policy is compared directive by directive. */
function parsePolicy(header: string | null): Record<string, string[]> {
  expect(header, 'Content-Security-Policy header').toBeTruthy();
  return Object.fromEntries(
    header!
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...sources]) => [name, sources]),
  );
}

function expectCommonHeaders(res: Response) {
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
}

/** Production mode: the admin's policy is the strict one there (development widens it for Vite's hot reload). */
describe('security headers over HTTP (production mode)', () => {
  let env: TestEnvironment;
  beforeAll(async () => {
    env = await createTestEnvironment({ env: { NODE_ENV: 'production', CHANNELFLOW_EXTRA_PLUGIN_DIRS: htmlPage } });
  });
  afterAll(() => env?.destroy());

  // Tests boot without serving the admin's built HTML, so this checks the middleware config every response gets,
  // on the admin's own paths (the HTML route /admin and its API /admin/init) as well as on the platform's others.
  it.each([
    ['GET', '/admin'],
    ['GET', '/admin/init'],
    ['POST', '/graphql'],
    ['GET', '/api/html-page/data'],
    ['GET', '/no-such-page'],
  ])('%s %s carries the platform policy, nosniff, Referrer-Policy and frame protection', async (method, pathname) => {
    const res = await env.http(pathname, method === 'POST' ? { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) } : { method });
    expect(parsePolicy(res.headers.get('content-security-policy'))).toEqual(PLATFORM_POLICY);
    expectCommonHeaders(res);
  });

  it("a plug-in's own HTML page gets the printable policy: its script cannot run", async () => {
    const res = await env.http('/api/html-page/page');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('<script>');
    const policy = parsePolicy(res.headers.get('content-security-policy'));
    expect(policy).toEqual(PRINTABLE_POLICY);
    expect(policy['script-src']).toBeUndefined();
    expectCommonHeaders(res);
  });

  describe.each([
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['=HYPERLINK("http://evil","x")', '&#x3D;HYPERLINK(&quot;http://evil&quot;,&quot;x&quot;)'],
  ])('a printable statement for a dealer named %s', (hostile, escaped) => {
    let html: string;
    let res: Response;
    beforeAll(async () => {
      const dealer = await env.createDealer({ name: hostile });
      const credit = env.strapi.plugin('dealers').service('credit');
      await credit.openAccount({ dealerId: dealer.id, limitCents: 1_000_000, currency: 'CNY' });
      // Staff type the reference: it is printed too.
      await credit.post({ dealerId: dealer.id, kind: 'invoice', amountCents: 12_345, idempotencyKey: `inv-${dealer.code}`, reference: hostile });
      const owner = await env.asDealer(dealer, 'owner');
      res = await env.http('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${owner.user.jwt}` },
        body: JSON.stringify({ query: STATEMENT, variables: { from: today, to: today } }),
      });
      const body = await res.json();
      expect(body.errors).toBeUndefined();
      html = body.data.myStatement.html;
    });

    it('shows the name and the reference as text, never as markup or a formula', () => {
      expect(html).toContain('CN¥123.45');
      // Twice: the dealer's name and the invoice's reference.
      expect(html.split(escaped).length - 1).toBe(2);
      expect(html).not.toContain(hostile);
      expect(html).not.toMatch(/<script/i);
    });

    it('carries its own policy first in <head>, since it travels inside a JSON answer', () => {
      const meta = /<head\b[^>]*>\s*<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
      expect(meta, 'CSP meta tag right after <head>').not.toBeNull();
      expect(parsePolicy(meta![1]!)).toEqual(PRINTABLE_META_POLICY);
    });

    it('arrives in a response with the platform headers', () => {
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(parsePolicy(res.headers.get('content-security-policy'))).toEqual(PLATFORM_POLICY);
      expectCommonHeaders(res);
    });
  });
});
