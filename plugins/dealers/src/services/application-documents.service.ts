import { createHash, randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { badInput, ChannelflowError, parseInput, summarizeIssues, type FieldIssue } from '@channelflow/sdk';
import { dealersOptions } from '../options';
import { documentStore } from './document-store';

export const APPLICATION_DOCUMENT = 'plugin::dealers.application-document';
export { DOCUMENT_KINDS, DOCUMENT_KIND_WORDS, documentKind, type DocumentKind } from './document-kinds';
import { documentKind, type DocumentKind } from './document-kinds';

/** An upload must be attached to an application within this time, or uploaded again. */
export const DOCUMENT_TOKEN_HOURS = 24;

/** What documents may be, recognised by their first bytes: a declared type or file name proves nothing. */
const FILE_TYPES = [
  { mime: 'application/pdf', ext: '.pdf', magic: [0x25, 0x50, 0x44, 0x46, 0x2d] }, // %PDF-
  { mime: 'image/png', ext: '.png', magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { mime: 'image/jpeg', ext: '.jpg', magic: [0xff, 0xd8, 0xff] },
] as const;

/** A file as Strapi's body parser (formidable) leaves it on disk. */
export interface ReceivedFile {
  filepath: string;
  originalFilename?: string | null;
  size: number;
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Documents a prospect uploads before applying (public). Each upload answers a one-time token
 * (only its hash is kept) that submitDealerApplication exchanges for attaching the document.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const documents = () => strapi.db.query(APPLICATION_DOCUMENT as any);
  const store = documentStore(strapi);

  return {
    /** Validates and stores an upload; a refused file leaves nothing behind. */
    async store(raw: { kind: unknown; file: ReceivedFile | null | undefined }) {
      const { kind } = parseInput(z.object({ kind: documentKind }), { kind: raw.kind }, 'document');
      const file = raw.file;
      if (!file?.filepath) throw badInput('Send the document as one multipart file field named "file"', [{ path: 'file', message: 'missing' }]);
      const max = dealersOptions.of(strapi).documentMaxBytes;
      if (file.size > max) {
        throw new ChannelflowError('FILE_TOO_LARGE', `The file is ${mebibytes(file.size)}; a document may be at most ${mebibytes(max)} (${max} bytes)`, { maxBytes: max, sizeBytes: file.size });
      }
      const type = await recogniseType(file.filepath);
      if (!type) {
        throw new ChannelflowError('UNSUPPORTED_FILE_TYPE', 'A document must be a PDF, JPEG or PNG file; the content of this one is none of them', { allowed: FILE_TYPES.map((t) => t.mime) });
      }
      const name = displayName(file.originalFilename, kind);
      // Stored under our extension for the recognised type, so the file is served as what it is.
      const storageKey = await store.save(file.filepath, type.ext);
      const token = randomBytes(24).toString('base64url');
      try {
        await documents().create({ data: { kind, storageKey, originalName: name, mime: type.mime, size: file.size, tokenHash: hash(token) } });
      } catch (error) {
        // Two writers (the folder and the database): undo the stored file if the row fails.
        await store.remove(storageKey).catch(() => undefined);
        throw error;
      }
      return { token, kind, name, size: file.size, mime: type.mime };
    },

    /**
     * Links the uploads behind `tokens` to an application. Call inside the transaction that
     * creates it: an unknown, used or expired token throws BAD_INPUT naming its position.
     */
    async attach(applicationId: number, tokens: string[]) {
      if (!tokens.length) return;
      const hashes = tokens.map(hash);
      const found = new Map<string, any>((await documents().findMany({ where: { tokenHash: { $in: hashes } } })).map((d: any) => [d.tokenHash, d]));
      const oldest = Date.now() - DOCUMENT_TOKEN_HOURS * 3_600_000;
      const issues: FieldIssue[] = [];
      hashes.forEach((h, i) => {
        const document = found.get(h);
        const problem =
          hashes.indexOf(h) !== i ? 'the same document is listed twice'
          : !document ? 'unknown document token'
          : document.applicationId ? 'this document is already attached to an application'
          : new Date(document.createdAt).getTime() < oldest ? `this upload is older than ${DOCUMENT_TOKEN_HOURS} hours; upload the document again`
          : null;
        if (problem) issues.push({ path: `documents.${i}`, message: problem });
      });
      if (issues.length) throw badInput(`Invalid application: ${summarizeIssues(issues)}`, issues);
      const attachedAt = new Date().toISOString();
      for (const [i, h] of hashes.entries()) {
        // Only while still unattached: of two applications racing for one token, one gets it.
        const { count } = await documents().updateMany({ where: { id: found.get(h).id, applicationId: { $null: true } }, data: { applicationId, attachedAt } });
        if (!count) throw badInput(`Invalid application: documents.${i}: this document is already attached to an application`, [{ path: `documents.${i}`, message: 'this document is already attached to an application' }]);
      }
    },

    async kindsOf(applicationId: number): Promise<DocumentKind[]> {
      const rows = await documents().findMany({ where: { applicationId }, select: ['kind'] });
      return [...new Set(rows.map((r: any) => r.kind as DocumentKind))];
    },

    /** An application's documents, each with a link that opens it for a quarter of an hour (only staff who read applications get these). */
    async forApplication(applicationId: number) {
      const rows = await documents().findMany({ where: { applicationId }, orderBy: [{ id: 'asc' }] });
      return rows.map((d: any) => ({
        id: d.id,
        kind: d.kind,
        name: d.originalName,
        mime: d.mime,
        size: d.size,
        url: d.storageKey ? store.link(d.id) : null,
        createdAt: new Date(d.createdAt).toISOString(),
      }));
    },

    /** The file behind a signed link: refused (FORBIDDEN) when the link is not ours or has expired. */
    async openLinked(documentId: number, expires: number, signature: string) {
      const verdict = Number.isSafeInteger(documentId) && Number.isSafeInteger(expires) ? store.verify(documentId, expires, signature) : 'invalid';
      if (verdict === 'expired') throw new ChannelflowError('FORBIDDEN', 'This document link has expired; open the application again for a fresh one');
      if (verdict !== 'ok') throw new ChannelflowError('FORBIDDEN', 'This is not a valid document link');
      const row = await documents().findOne({ where: { id: documentId } });
      if (!row?.storageKey) throw new ChannelflowError('NOT_FOUND', 'This document is no longer kept');
      return { name: row.originalName as string, mime: row.mime as string, ...(await store.open(row.storageKey)) };
    },

    /**
     * Documents uploaded before they were kept privately sit in the media library: each moves to the
     * private folder and leaves the library (run at start; a file already gone is logged and skipped).
     */
    async moveOutOfMediaLibrary() {
      const legacy = (await documents().findMany({ where: { storageKey: { $null: true } }, populate: ['file'] })).filter((d: any) => d.file);
      const uploads = strapi.plugin('upload').service('upload');
      for (const d of legacy) {
        const source = d.file?.url?.startsWith('/uploads/') ? path.join(strapi.dirs.static.public, d.file.url) : null;
        if (!source) {
          strapi.log.warn(`application document ${d.id} is in a media library that is not on this machine (${d.file?.provider}); move it by hand`);
          continue;
        }
        const type = FILE_TYPES.find((t) => t.mime === d.mime);
        const storageKey = await store.save(source, type?.ext ?? path.extname(source)).catch((error) => {
          strapi.log.warn(`application document ${d.id}: its file ${source} could not be moved: ${(error as Error).message}`);
          return null;
        });
        if (!storageKey) continue;
        await documents().update({ where: { id: d.id }, data: { storageKey, file: null } });
        await uploads.remove(d.file).catch(() => undefined);
      }
      if (legacy.length) strapi.log.info(`moved ${legacy.length} application document(s) out of the media library`);
    },
  };
};

async function recogniseType(filepath: string) {
  const handle = await open(filepath, 'r');
  try {
    const head = Buffer.alloc(8);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return FILE_TYPES.find((t) => bytesRead >= t.magic.length && t.magic.every((byte, i) => head[i] === byte)) ?? null;
  } finally {
    await handle.close();
  }
}

/** The name the applicant gave, without path or control characters. */
function displayName(original: string | null | undefined, kind: string): string {
  // eslint-disable-next-line no-control-regex
  const name = path.basename(String(original ?? '').replace(/\\/g, '/')).replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 200);
  return name || kind;
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(bytes < 1024 * 1024 ? 2 : 1)} MiB`;
}
