import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, eventually, type GraphqlClient, type TestEnvironment } from '@channelflow/sdk/testing';
import { creditCodeCheckCharacter } from '../src/services/tax-id';
import { samplePdf } from '../src/sample-pdf';
import { documentStore } from '../src/services/document-store';
import { removeUploadedFiles, uploadDocument } from './support/documents';

const SUBMIT = 'mutation ($input: DealerApplicationInput!) { submitDealerApplication(input: $input) { number status } }';
const APPLICATION = `query ($number: ID!) { dealerApplication(number: $number) {
  number status decisionNote documents { id kind name mime size url createdAt } } }`;
const MAX_BYTES = 64 * 1024;

let serial = 0;
const taxId = () => {
  serial += 1;
  const body = `91440300${String(Date.now() % 1e6).padStart(6, '0')}${String(serial).padStart(3, '0')}`;
  return body + creditCodeCheckCharacter(body);
};
const application = (documents: string[], overrides: Record<string, unknown> = {}) => ({
  companyName: 'Shenzhen Ruifeng Electrical Co., Ltd.',
  taxId: taxId(),
  contactName: 'Li Na',
  contactEmail: `li.na.${serial}@ruifeng.example.com`,
  regionCode: 'SOUTH',
  dealerType: 'store',
  annualVolumeMinor: 80_000_000,
  locale: 'en',
  documents,
  ...overrides,
});

describe('application documents', () => {
  let env: TestEnvironment;
  let manager: GraphqlClient;
  // This file's own private document folder, so what it stores can be counted.
  const documentsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'channelflow-documents-'));
  const storedFiles = () => (fs.existsSync(documentsDir) ? fs.readdirSync(documentsDir) : []);
  const counts = async () => ({
    files: await env.strapi.db.query('plugin::upload.file').count({}),
    stored: storedFiles().length,
    documents: await env.strapi.db.query('plugin::dealers.application-document').count({}),
    applications: await env.strapi.db.query('plugin::dealers.application').count({}),
  });
  const upload = async (kind = 'business_license', name = `${kind}.pdf`) => {
    const res = await uploadDocument(env, { kind, name, bytes: samplePdf([kind, name]) });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { token: string; kind: string; name: string; size: number; mime: string };
  };
  const statusOf = (number: string, wanted: string) =>
    eventually(async () => {
      const { dealerApplication } = await manager.query(APPLICATION, { number });
      if (dealerApplication.status !== wanted) throw new Error(`${number} is ${dealerApplication.status}, waiting for ${wanted}`);
      return dealerApplication;
    });

  beforeAll(async () => {
    env = await createTestEnvironment({
      env: {
        DEALERS_DOCUMENT_MAX_BYTES: String(MAX_BYTES),
        DEALERS_REQUIRED_DOCUMENTS: 'business_license, bank_account_proof',
        DEALERS_APPLICATIONS_PER_HOUR: '100',
        DEALERS_DOCUMENT_UPLOADS_PER_HOUR: '40',
        DEALERS_DOCUMENTS_DIR: documentsDir,
      },
    });
    await env.strapi.db.query('api::region.region').create({ data: { code: 'SOUTH', name: 'South China' } });
    manager = await env.asStaff('channel-manager', { team: { code: 'SOUTH-T', regionCode: 'SOUTH' } });
  });
  afterAll(async () => {
    await removeUploadedFiles(env);
    await env?.destroy();
    fs.rmSync(documentsDir, { recursive: true, force: true });
  });

  it('an upload answers a one-time token; submitted with the application, staff see the document and can open it', async () => {
    const licence = await upload('business_license', '营业执照 scan.pdf');
    expect(licence).toMatchObject({ kind: 'business_license', name: '营业执照 scan.pdf', mime: 'application/pdf', size: expect.any(Number) });
    expect(licence.token).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    const bank = await upload('bank_account_proof');
    // Only the token's hash is kept.
    const row = await env.strapi.db.query('plugin::dealers.application-document').findOne({ where: { tokenHash: createHash('sha256').update(licence.token).digest('hex') } });
    expect(row).toMatchObject({ kind: 'business_license', applicationId: null });
    expect(JSON.stringify(row)).not.toContain(licence.token);

    const { submitDealerApplication: receipt } = await env.anonymous.query(SUBMIT, { input: application([licence.token, bank.token]) });
    const reviewed = await statusOf(receipt.number, 'in_review');
    expect(reviewed.documents).toEqual([
      { id: expect.any(String), kind: 'business_license', name: '营业执照 scan.pdf', mime: 'application/pdf', size: licence.size, url: expect.stringMatching(/^\/api\/dealers\/application-documents\/\d+\/file\?expires=\d+&signature=[\w-]+$/), createdAt: expect.any(String) },
      expect.objectContaining({ kind: 'bank_account_proof', mime: 'application/pdf', size: bank.size }),
    ]);
    const file = await env.http(reviewed.documents[0].url);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toContain('application/pdf');
    expect(file.headers.get('cache-control')).toBe('private, no-store');
    expect(Buffer.from(await file.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
    // Identity documents are not in the shared media library, nor in the public /uploads folder.
    expect(await env.strapi.db.query('plugin::upload.file').count({})).toBe(0);
    expect(storedFiles()).toHaveLength(2);
    // The checks passed: the review task waits for a channel manager.
    await eventually(async () => {
      const inbox = await manager.query('{ taskInbox(pageSize: 100) { nodes { variables } } }');
      expect(inbox.taskInbox.nodes.some((t: any) => t.variables.applicationNumber === receipt.number)).toBe(true);
    });

    // Applicants and dealers do not read applications, nor their documents.
    await env.anonymous.expectError('UNAUTHENTICATED', APPLICATION, { number: receipt.number });
    const dealer = await env.asDealer(await env.createDealer());
    await dealer.expectError('FORBIDDEN', APPLICATION, { number: receipt.number });
  });

  it('refuses a file over DEALERS_DOCUMENT_MAX_BYTES with 413 FILE_TOO_LARGE and stores nothing', async () => {
    const before = await counts();
    const big = Buffer.concat([samplePdf(['big']), Buffer.alloc(MAX_BYTES, 0x20)]);
    const res = await uploadDocument(env, { bytes: big, name: 'oversize-licence.pdf' });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'FILE_TOO_LARGE', details: { maxBytes: MAX_BYTES, sizeBytes: big.length } });
    expect(res.body.error.message).toContain(`${MAX_BYTES} bytes`);
    expect(await counts()).toEqual(before);
  });

  it('recognises the type by content: a text file named .pdf and declared application/pdf is refused with 415 and stores nothing', async () => {
    const before = await counts();
    const res = await uploadDocument(env, { bytes: Buffer.from('Just a note, not a licence\n'), name: 'fake-licence.pdf', type: 'application/pdf' });
    expect(res.status).toBe(415);
    expect(res.body.error).toMatchObject({ code: 'UNSUPPORTED_FILE_TYPE', message: expect.stringContaining('PDF, JPEG or PNG') });
    expect(res.body.error.stack).toBeUndefined();
    expect(await counts()).toEqual(before);

    const kind = await uploadDocument(env, { kind: 'selfie', name: 'bad-kind.pdf' });
    expect(kind.status).toBe(400);
    expect(kind.body.error).toMatchObject({ code: 'BAD_INPUT', details: { issues: [expect.objectContaining({ path: 'kind' })] } });
    expect(await counts()).toEqual(before);
  });

  it('refuses an unknown, reused or expired token with BAD_INPUT naming its position, and creates no application', async () => {
    const good = await upload();
    const bank = await upload('bank_account_proof');
    const before = await counts();
    const unknown = await env.anonymous.expectError('BAD_INPUT', SUBMIT, { input: application([good.token, 'x'.repeat(32)]) });
    expect(unknown.message).toContain('documents.1: unknown document token');
    expect(await counts()).toEqual(before);
    // Nothing was attached: the good token still works.
    const { submitDealerApplication: first } = await env.anonymous.query(SUBMIT, { input: application([good.token, bank.token]) });
    expect(first.status).toBe('in_review');

    const reused = await env.anonymous.expectError('BAD_INPUT', SUBMIT, { input: application([bank.token]) });
    expect(reused.message).toContain('documents.0: this document is already attached to an application');
    const old = await upload();
    await env.strapi.db.connection('dealer_application_documents').where({ token_hash: createHash('sha256').update(old.token).digest('hex') }).update({ created_at: new Date(Date.now() - 25 * 3_600_000) });
    const expired = await env.anonymous.expectError('BAD_INPUT', SUBMIT, { input: application([old.token]) });
    expect(expired.message).toContain('documents.0: this upload is older than 24 hours');
    const after = await counts();
    expect(after.applications).toBe(before.applications + 1);
    const [unattached] = await env.strapi.db.query('plugin::dealers.application-document').findMany({ where: { tokenHash: createHash('sha256').update(old.token).digest('hex') } });
    expect(unattached.applicationId).toBeNull();
    await env.anonymous.expectError('BAD_INPUT', SUBMIT, { input: application(Array.from({ length: 11 }, (_, i) => `${'t'.repeat(30)}${i}`)) });
  });

  it('the automatic checks reject an application without every required kind, naming what is missing', async () => {
    const licence = await upload();
    const { submitDealerApplication: receipt } = await env.anonymous.query(SUBMIT, { input: application([licence.token]) });
    const rejected = await statusOf(receipt.number, 'rejected');
    expect(rejected.decisionNote).toBe('Required documents are missing: proof of the bank account');
    expect(rejected.documents.map((d: any) => d.kind)).toEqual(['business_license']);
  });

  it('says only that a tax id is under review, not which application', async () => {
    const input = application([(await upload()).token, (await upload('bank_account_proof')).token]);
    const { submitDealerApplication: first } = await env.anonymous.query(SUBMIT, { input });
    const duplicate = await env.anonymous.expectError('CONFLICT', SUBMIT, { input: { ...input, documents: [] } });
    expect(duplicate.message).toBe('An application for this tax id is already being reviewed');
    expect(JSON.stringify(duplicate)).not.toContain(first.number);
  });

  it("a document link opens only its own document, only while it lasts, and not once tampered with", async () => {
    const { submitDealerApplication: receipt } = await env.anonymous.query(SUBMIT, { input: application([(await upload()).token, (await upload('bank_account_proof')).token]) });
    const [licence, bank] = (await statusOf(receipt.number, 'in_review')).documents;
    const url = new URL(licence.url, env.baseUrl);
    const status = async (href: string) => (await env.http(href)).status;
    const forOther = licence.url.replace(`/${licence.id}/file`, `/${bank.id}/file`);
    const tampered = licence.url.replace(/signature=./, (m: string) => m.slice(0, -1) + (m.endsWith('A') ? 'B' : 'A'));
    const unsigned = `${url.pathname}?expires=${url.searchParams.get('expires')}`;
    const stretched = licence.url.replace(/expires=\d+/, `expires=${Number(url.searchParams.get('expires')) + 86_400_000}`);
    const expired = documentStore(env.strapi).link(Number(licence.id), Date.now() - 16 * 60_000);
    expect([await status(forOther), await status(tampered), await status(unsigned), await status(stretched), await status(expired)]).toEqual([403, 403, 403, 403, 403]);
    expect(((await (await env.http(expired)).json()) as any).error.message).toContain('expired');
    expect(await status(licence.url)).toBe(200);
  });

  it('limits uploads per address (DEALERS_DOCUMENT_UPLOADS_PER_HOUR) with 429 and when to retry', async () => {
    let res = await uploadDocument(env, { kind: 'nonsense' });
    for (let i = 0; i < 40 && res.status !== 429; i += 1) res = await uploadDocument(env, { kind: 'nonsense' });
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe('RATE_LIMITED');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('documents uploaded into the media library before are moved out of it at start, and still open', async () => {
    const upload = env.strapi.plugin('upload').service('upload');
    const source = path.join(documentsDir, '..', `legacy-${process.pid}.pdf`);
    fs.writeFileSync(source, samplePdf(['legacy licence']));
    const size = fs.statSync(source).size;
    const [file] = await upload.upload({ data: {}, files: { filepath: source, originalFilename: 'legacy.pdf', mimetype: 'application/pdf', size } });
    fs.rmSync(source);
    const legacy = await env.strapi.db.query('plugin::dealers.application-document').create({ data: { kind: 'business_license', file: file.id, originalName: 'legacy.pdf', mime: 'application/pdf', size, tokenHash: `legacy-${Date.now()}` } });
    const publicFile = path.join(env.strapi.dirs.static.public, file.url);
    expect(fs.existsSync(publicFile)).toBe(true);

    await env.strapi.plugin('dealers').service('application-documents').moveOutOfMediaLibrary();

    const moved = await env.strapi.db.query('plugin::dealers.application-document').findOne({ where: { id: legacy.id }, populate: ['file'] });
    expect(moved).toMatchObject({ storageKey: expect.stringMatching(/\.pdf$/), file: null });
    expect(fs.existsSync(publicFile)).toBe(false);
    expect(await env.strapi.db.query('plugin::upload.file').count({ where: { id: file.id } })).toBe(0);
    const opened = await env.http(documentStore(env.strapi).link(legacy.id));
    expect(Buffer.from(await opened.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
  });
});
