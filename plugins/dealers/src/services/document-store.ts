import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Core } from '@strapi/strapi';
import { dealersOptions } from '../options';

/**
 * Applicants' identity documents (business licences, ID cards, bank proofs) kept apart from the
 * shared media library and from the public /uploads folder: files in a private folder, opened only
 * through a link signed for one document that expires, which only staff who may read the
 * application are given.
 */

/** How long a document link in an application works. */
export const DOCUMENT_LINK_SECONDS = 15 * 60;

export function documentStore(strapi: Core.Strapi) {
  const dir = () => path.resolve(strapi.dirs.app.root, dealersOptions.of(strapi).documentsDir);
  const fileOf = (storageKey: string) => {
    // Keys are ours (uuid + extension); anything else never reaches the disk.
    if (!/^[0-9a-f-]{36}\.(pdf|png|jpg)$/.test(storageKey)) throw new Error(`not a document storage key: ${storageKey}`);
    return path.join(dir(), storageKey);
  };
  const secret = () => {
    const keys = strapi.config.get('server.app.keys') as string[] | undefined;
    if (!keys?.length) throw new Error('APP_KEYS is not set: document links cannot be signed');
    return keys[0]!;
  };
  const signature = (documentId: number, expires: number) => createHmac('sha256', secret()).update(`application-document:${documentId}:${expires}`).digest('base64url');

  return {
    /** Copies a received file into the private folder; returns its storage key. */
    async save(sourcePath: string, ext: string): Promise<string> {
      await mkdir(dir(), { recursive: true, mode: 0o700 });
      const storageKey = `${randomUUID()}${ext}`;
      await copyFile(sourcePath, fileOf(storageKey));
      return storageKey;
    },
    async remove(storageKey: string): Promise<void> {
      await rm(fileOf(storageKey), { force: true });
    },
    async open(storageKey: string) {
      const file = fileOf(storageKey);
      const { size } = await stat(file);
      return { size, stream: createReadStream(file) };
    },
    /** A link to one document that works for DOCUMENT_LINK_SECONDS. */
    link(documentId: number, now = Date.now()): string {
      const expires = now + DOCUMENT_LINK_SECONDS * 1000;
      return `/api/dealers/application-documents/${documentId}/file?expires=${expires}&signature=${signature(documentId, expires)}`;
    },
    /** Whether a link's signature is ours for this document and it has not expired. */
    verify(documentId: number, expires: number, given: string, now = Date.now()): 'ok' | 'expired' | 'invalid' {
      const expected = Buffer.from(signature(documentId, expires));
      const received = Buffer.from(given);
      if (expected.length !== received.length || !timingSafeEqual(expected, received)) return 'invalid';
      return expires < now ? 'expired' : 'ok';
    },
  };
}
