import type { Context } from 'koa';
import type { Core } from '@strapi/strapi';
import { workflowRuntime } from '../../../workflow';
import { answerTokenRequest } from '../../../workflow/gateway/oauth-token';

export default ({ strapi }: { strapi: Core.Strapi }) => ({
  async issue(ctx: Context) {
    answerTokenRequest(ctx, workflowRuntime(strapi).gatewayCredentials, ctx.request.ip ?? 'unknown');
  },
});
