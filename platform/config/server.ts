export default ({ env }: { env: any }) => {
  const proxyHops = trustedProxies(env('TRUST_PROXY', 'false'));
  return {
    host: env('HOST', '0.0.0.0'),
    port: env.int('PORT', 1337),
    url: env('PUBLIC_URL', ''),
    app: { keys: env.array('APP_KEYS') },
    // Client addresses (rate limits) come from X-Forwarded-For only behind proxies that set it, and then from
    // the entries those proxies appended: anything left of them the client may have written itself.
    proxy: { koa: proxyHops > 0, maxIpsCount: proxyHops },
    // Plain Strapi reports anonymous usage; a brand's channel data platform must not phone home.
    telemetry: false,
    logger: { startup: { enabled: env.bool('STRAPI_STARTUP_MESSAGE', true) } },
  };
};

/** TRUST_PROXY: false (default), true (one reverse proxy) or the number of proxies in front of the platform. */
function trustedProxies(value: string): number {
  if (value === 'true') return 1;
  return /^\d+$/.test(value) ? Number(value) : 0;
}
