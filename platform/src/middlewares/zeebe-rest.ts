import type { Core } from '@strapi/strapi';
import { hasWorkflowRuntime, workflowRuntime } from '../workflow';
import { restApi } from '../workflow/rest/api';

/**
 * Camunda's Orchestration Cluster REST API (`/v2/...`) over the embedded engine, on the platform's
 * port (after the body parser, so JSON and multipart bodies are read). In Zeebe mode the cluster
 * serves it, so requests go on to Strapi (and answer 404).
 */
export default (_config: unknown, { strapi }: { strapi: Core.Strapi }) => {
  let handler: ReturnType<typeof restApi> | null = null;
  return async (ctx: any, next: () => Promise<void>) => {
    if (!ctx.path.startsWith('/v2/') || !hasWorkflowRuntime(strapi)) return next();
    const runtime = workflowRuntime(strapi);
    if (!runtime.engine || !runtime.gatewayCredentials) return next();
    handler ??= restApi({
      engine: runtime.engine,
      credentials: runtime.gatewayCredentials,
      knex: strapi.db.connection,
      log: strapi.log,
      gateway: runtime.gateway ? { host: runtime.gateway.host, port: runtime.gateway.port } : null,
    });
    return handler(ctx, next);
  };
};
