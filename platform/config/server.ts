export default ({ env }: { env: any }) => ({
  host: env('HOST', '0.0.0.0'),
  port: env.int('PORT', 1337),
  url: env('PUBLIC_URL', ''),
  app: { keys: env.array('APP_KEYS') },
  // Plain Strapi reports anonymous usage; a brand's channel data platform must not phone home.
  telemetry: false,
  logger: { startup: { enabled: env.bool('STRAPI_STARTUP_MESSAGE', true) } },
});
