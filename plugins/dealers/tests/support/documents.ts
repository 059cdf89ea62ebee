import type { TestEnvironment } from '@channelflow/sdk/testing';
import { samplePdf } from '../../src/sample-pdf';
import { documentStore } from '../../src/services/document-store';

export const UPLOAD_PATH = '/api/dealers/application-documents';

/** A prospect's upload over real HTTP, as the application form sends it (multipart: kind + file). */
export async function uploadDocument(
  env: TestEnvironment,
  { kind = 'business_license', bytes = samplePdf(['Business Licence', 'Test company']), name = 'business-licence.pdf', type = 'application/pdf' }: { kind?: string; bytes?: Buffer; name?: string; type?: string } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const form = new FormData();
  form.append('kind', kind);
  form.append('file', new Blob([new Uint8Array(bytes)], { type }), name);
  const res = await env.http(UPLOAD_PATH, { method: 'POST', body: form });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

/** The token of a freshly uploaded business licence. */
export async function businessLicenceToken(env: TestEnvironment): Promise<string> {
  const { status, body } = await uploadDocument(env);
  if (status !== 201) throw new Error(`upload refused: ${status} ${JSON.stringify(body)}`);
  return body.token;
}

/** Removes the documents this test environment stored (the throw-away database does not take them along). */
export async function removeUploadedFiles(env: TestEnvironment | undefined): Promise<void> {
  if (!env) return;
  const store = documentStore(env.strapi);
  for (const d of await env.strapi.db.query('plugin::dealers.application-document').findMany({ select: ['storageKey'] })) if (d.storageKey) await store.remove(d.storageKey);
  const upload = env.strapi.plugin('upload').service('upload');
  for (const file of await env.strapi.db.query('plugin::upload.file').findMany({})) await upload.remove(file);
}
