import type { Core } from '@strapi/strapi';
import type { AdminBootstrap } from './admin-user';
import type { SeedOutcome } from './seed/run-seed';
import { platformRegistry } from '@channelflow/sdk';
import { DEMO_STAFF } from './seed/core.seed';

/** What a person needs after `npm start`: where things are and how to sign in. */
export async function printBanner(strapi: Core.Strapi, admin: AdminBootstrap, seed: SeedOutcome): Promise<void> {
  const { host, port } = strapi.config.get('server') as { host: string; port: number };
  const base = `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`;
  const dealerLogins = await platformRegistry(strapi).tenant().demoLogins(strapi, 3);
  const lines = [
    '',
    'Channelflow is running',
    `  Admin panel   ${base}/admin`,
    `  GraphQL       ${base}/graphql`,
    `  Health        ${base}/_health`,
    `  Database      ${strapi.db.dialect.client}`,
    `  Workflows     ${workflowLine(strapi)}`,
    '',
    `  Admin panel login: ${admin.email} / ${admin.generatedPassword ?? (admin.created ? '(ADMIN_PASSWORD from env)' : '(set on first start)')}`,
    ...(admin.generatedPassword ? ['  (generated now and shown only this once: store it)'] : []),
    '',
    ...(dealerLogins.length
      ? [
          `  Demo logins (GraphQL: mutation { login(input: {identifier, password}) { jwt } }), password ${
            seed.demoPassword ?? 'DEMO_PASSWORD from the first start (platform/.env)'
          }:`,
          ...DEMO_STAFF.map((s) => `    staff   ${s.role.padEnd(16)} ${s.email}`),
          ...dealerLogins.map((d) => `    dealer  ${d.role.padEnd(16)} ${d.email}  (${d.dealer})`),
        ]
      : ['  No demo data (CHANNELFLOW_SEED=none).']),
    '',
  ];
  console.log(lines.join('\n'));
}

function workflowLine(strapi: Core.Strapi): string {
  const runtime = platformRegistry(strapi).workflowRuntime();
  if (!runtime) return 'not started';
  return runtime.mode === 'embedded'
    ? `embedded engine, Zeebe gateway at ${runtime.gatewayAddress?.replace(/^grpcs?:\/\//, '')}${runtime.gatewayAddress?.startsWith('grpcs:') ? ' (TLS)' : ''} (credentials: WORKFLOW_GATEWAY_* in platform/.env)`
    : 'Camunda 8 / Zeebe cluster (WORKFLOW_ENGINE=zeebe)';
}
