import fs from 'node:fs';
import path from 'node:path';
import { formatGraphqlError } from '../src/graphql/format-error';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { explorerLandingPage } from '../src/graphql/explorer';
import { GRAPHQL_LIMITS, validationRules } from '../src/graphql/limits';
import { smtpConfigured } from '../src/notify/smtp';
import { pluginsDir } from '../src/paths';
import { optionsFromEnv } from '@channelflow/sdk';

export default ({ env }: { env: any }) => {
  const production = env('NODE_ENV') === 'production';
  return {
    ...localPlugins(),
    graphql: {
      config: {
        endpoint: '/graphql',
        shadowCRUD: true,
        // Development: GraphiQL from the platform's own files (src/graphql/explorer.ts); production: no page at all
        // (Apollo's production page would load from Apollo's servers).
        landingPage: () => (production ? ApolloServerPluginLandingPageDisabled() : explorerLandingPage()),
        depthLimit: GRAPHQL_LIMITS.depth,
        defaultLimit: GRAPHQL_LIMITS.defaultPageSize,
        maxLimit: GRAPHQL_LIMITS.maxPageSize,
        apolloServer: {
          introspection: !production,
          includeStacktraceInErrorResponses: !production,
          // Without this, "Did you mean …" hints reveal the schema even with introspection off.
          hideSchemaDetailsFromClientErrors: production,
          allowBatchedHttpRequests: false,
          parseOptions: { maxTokens: GRAPHQL_LIMITS.tokens },
          validationRules: validationRules(),
          formatError: formatGraphqlError,
        },
      },
    },
    'users-permissions': {
      config: {
        jwtSecret: env('JWT_SECRET'),
        jwt: { expiresIn: env('JWT_EXPIRES_IN', '7d') },
        register: { allowedFields: [] },
      },
    },
    email: smtpConfigured()
      ? {
          config: {
            provider: 'nodemailer',
            providerOptions: {
              host: env('SMTP_HOST'),
              port: env.int('SMTP_PORT', 587),
              secure: env.bool('SMTP_SECURE', false),
              ignoreTLS: env.bool('SMTP_IGNORE_TLS', false),
              auth: env('SMTP_USERNAME') ? { user: env('SMTP_USERNAME'), pass: env('SMTP_PASSWORD') } : undefined,
            },
            settings: {
              defaultFrom: env('SMTP_FROM', 'Channelflow <no-reply@channelflow.local>'),
              defaultReplyTo: env('SMTP_REPLY_TO', env('SMTP_FROM', 'no-reply@channelflow.local')),
            },
          },
        }
      : {},
  };
};

/**
 * Every directory under plugins/ with a Strapi plug-in package.json is registered: no list to
 * forget. CHANNELFLOW_EXTRA_PLUGIN_DIRS (path-separated) adds plug-ins developed elsewhere.
 * Each gets its settings from the environment here, the one place plug-ins are configured:
 * `<PLUG_IN>_<FIELD>` variables, validated against the plug-in's defineOptions schema at start.
 */
function localPlugins(): Record<string, { enabled: true; resolve: string; config: Record<string, string> }> {
  const candidates = fs
    .readdirSync(pluginsDir())
    .sort()
    .map((name) => path.join(pluginsDir(), name));
  for (const extra of (process.env.CHANNELFLOW_EXTRA_PLUGIN_DIRS ?? '').split(path.delimiter).filter(Boolean)) {
    candidates.push(path.resolve(extra));
  }
  const entries: Record<string, { enabled: true; resolve: string; config: Record<string, string> }> = {};
  for (const dir of candidates) {
    const manifest = path.join(dir, 'package.json');
    if (!fs.existsSync(manifest)) continue;
    const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8'));
    if (pkg.strapi?.kind !== 'plugin') continue;
    const name = pkg.strapi.name ?? path.basename(dir);
    entries[name] = { enabled: true, resolve: dir, config: optionsFromEnv(name, process.env) };
  }
  return entries;
}
