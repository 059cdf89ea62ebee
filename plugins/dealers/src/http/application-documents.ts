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
