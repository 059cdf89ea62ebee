import { badInput, rateLimit, type HttpRoute, service } from '@channelflow/sdk';
import { dealersOptions } from '../options';
import type { ReceivedFile } from '../services/application-documents.service';

/**
 * POST /api/dealers/application-documents (multipart: `kind` and one `file`): a prospect's
 * document, answered with the token submitDealerApplication takes in `documents`.
 */
export const uploadApplicationDocument: HttpRoute = {
  method: 'POST',
  path: '/application-documents',
  scope: 'public',
  handler: async (ctx, { strapi, clientIp }) => {
    rateLimit(`dealers.upload-document:${clientIp}`, { limit: dealersOptions.of(strapi).documentUploadsPerHour, windowMs: 3_600_000 });
    const body = (ctx.request as { body?: Record<string, unknown> }).body ?? {};
    const files = (ctx.request as { files?: Record<string, unknown> }).files ?? {};
    const file = files.file;
    if (Array.isArray(file) || Object.keys(files).some((field) => field !== 'file')) {
      throw badInput('Send exactly one file, in the field named "file"', [{ path: 'file', message: 'one file only' }]);
    }
    const document = await service(strapi, 'dealers', 'application-documents').store({ kind: body.kind, file: file as ReceivedFile | undefined });
    ctx.status = 201;
    return document;
  },
};

/**
 * GET /api/dealers/application-documents/:id/file?expires=…&signature=…: one document, for whoever
 * holds the link an application answered (staff who may read it); no session needed, so it opens
 * in a new browser tab, but the link works only for that document and only for a quarter of an hour.
 */
export const openApplicationDocument: HttpRoute = {
  method: 'GET',
  path: '/application-documents/:id/file',
  scope: 'public',
  handler: async (ctx, { strapi }) => {
    const query = ctx.query as Record<string, string | undefined>;
    const file = await service(strapi, 'dealers', 'application-documents').openLinked(Number(ctx.params.id), Number(query.expires), String(query.signature ?? ''));
    ctx.set('Content-Type', file.mime);
    ctx.set('Content-Length', String(file.size));
    ctx.set('Content-Disposition', `inline; filename*=UTF-8''${encodeURIComponent(file.name)}`);
    ctx.set('Cache-Control', 'private, no-store');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.body = file.stream;
  },
};
