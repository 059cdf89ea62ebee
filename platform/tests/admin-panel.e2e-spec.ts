import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';
import { keepScreenshot, launchChromium } from './support/browser';

const ADMIN = { email: 'admin@channelflow.test', password: 'Admin-panel-1' };
const CM = '/content-manager/collection-types';

/**
 * The admin panel through its own HTTP API: the calls the content manager's list, Save, Create and Delete
 * buttons make, signed in as the super admin (the most a person can hold there).
 */
describe('admin panel', () => {
  let env: TestEnvironment;
  let admin: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;

  beforeAll(async () => {
    env = await createTestEnvironment({ seed: 'demo', adminPanel: true, env: { NODE_ENV: 'production', ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password } });
    const login = await (await env.http('/admin/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) })).json();
    const token = login.data.token;
    admin = async (method, path, body) => {
      const res = await env.http(path, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, body: await res.json().catch(() => null) };
    };
  });
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
    await env?.destroy();
  });

  const first = async (uid: string) => (await admin('GET', `${CM}/${uid}?page=1&pageSize=1&sort=id:ASC`)).body.results[0];
  const row = (uid: string, documentId: string) => env.strapi.db.query(uid as any).findOne({ where: { documentId } });
  /** What the edit form sends on Save: the record's own fields as loaded, with the person's change. */
  const form = (record: Record<string, unknown>, change: Record<string, unknown>) => {
    const { id: _id, documentId: _d, createdAt: _c, updatedAt: _u, publishedAt: _p, createdBy: _cb, updatedBy: _ub, locale: _l, ...fields } = record;
    const scalars = Object.fromEntries(Object.entries(fields).filter(([, v]) => v === null || typeof v !== 'object' || Array.isArray(v)));
    return { ...scalars, ...change };
  };

  it('shows the status of dealers, orders and e-mails, and saves a dealer whose city changed', async () => {
    const dealer = await first('plugin::dealers.dealer');
    expect(dealer.lifecycleStatus).toMatch(/^(prospect|onboarding|active|suspended|blacklisted|terminated)$/);
    expect((await first('plugin::orders.order')).orderStatus).toMatch(/^[a-z_]+$/);
    expect((await first('api::outbox-message.outbox-message'))?.deliveryStatus ?? 'none').toMatch(/^[a-z_]+$/);
    const opened = (await admin('GET', `${CM}/plugin::dealers.dealer/${dealer.documentId}`)).body.data;
    const saved = await admin('PUT', `${CM}/plugin::dealers.dealer/${dealer.documentId}`, form(opened, { city: 'Suzhou' }));
    expect([saved.status, saved.body?.error?.message]).toEqual([200, undefined]);
    expect(await row('plugin::dealers.dealer', dealer.documentId)).toMatchObject({ city: 'Suzhou', lifecycleStatus: dealer.lifecycleStatus });
  });

  it('offers no create, edit or delete on ledgers and no create or delete on balances, also to the super admin', async () => {
    const granted = (await admin('GET', '/admin/users/me/permissions')).body.data as Array<{ action: string; subject: string | null; properties: { fields?: string[] } }>;
    const actionsOn = (subject: string) => granted.filter((p) => p.subject === subject).map((p) => p.action.replace('plugin::content-manager.explorer.', '')).sort();
    for (const ledger of ['plugin::dealers.credit-entry', 'plugin::dealers.status-change', 'plugin::orders.stock-movement', 'plugin::orders.shipment-event', 'plugin::orders.payment']) {
      expect([ledger, actionsOn(ledger)]).toEqual([ledger, ['read']]);
    }
    expect(actionsOn('plugin::orders.stock-level')).toEqual(['read', 'update']);
    expect(actionsOn('plugin::dealers.credit-account')).toEqual(['read', 'update']);
    expect(actionsOn('plugin::dealers.dealer')).toEqual(['create', 'delete', 'publish', 'read', 'update']);
    // The edit view shows quantities and limits read-only.
    const levelView = (await admin('GET', '/content-manager/content-types/plugin::orders.stock-level/configuration')).body.data.contentType.metadatas;
    expect(['onHand', 'reserved', 'inTransit', 'safetyStock'].map((f) => levelView[f].edit.editable)).toEqual([false, false, false, true]);
    const accountView = (await admin('GET', '/content-manager/content-types/plugin::dealers.credit-account/configuration')).body.data.contentType.metadatas;
    expect(['limitCents', 'reservedCents', 'paymentTermDays'].map((f) => accountView[f].edit.editable)).toEqual([false, false, true]);
  });

  it('refuses to create, change or delete a ledger entry or a stock movement, writing nothing', async () => {
    const entries = () => env.strapi.db.query('plugin::dealers.credit-entry').count();
    const movements = () => env.strapi.db.query('plugin::orders.stock-movement').count();
    const before = [await entries(), await movements()];
    const movement = await first('plugin::orders.stock-movement');
    const entry = await first('plugin::dealers.credit-entry');
    const refused = [
      await admin('POST', `${CM}/plugin::orders.stock-movement`, { productId: movement.productId, warehouseId: movement.warehouseId, kind: 'receipt', quantity: 5, idempotencyKey: 'admin-receipt' }),
      await admin('POST', `${CM}/plugin::dealers.credit-entry`, { dealerId: entry.dealerId, kind: 'payment', amountCents: '100000', currency: 'CNY', idempotencyKey: 'admin-payment', entryDate: '2025-01-01' }),
      await admin('PUT', `${CM}/plugin::dealers.credit-entry/${entry.documentId}`, form(entry, { amountCents: '1' })),
      await admin('PUT', `${CM}/plugin::orders.stock-movement/${movement.documentId}`, form(movement, { quantity: 999 })),
      await admin('DELETE', `${CM}/plugin::dealers.credit-entry/${entry.documentId}`),
      await admin('POST', `${CM}/plugin::orders.stock-movement/actions/bulkDelete`, { documentIds: [movement.documentId] }),
    ];
    expect(refused.map((r) => r.status)).toEqual([403, 403, 403, 403, 403, 403]);
    expect([await entries(), await movements()]).toEqual(before);
    expect(await row('plugin::dealers.credit-entry', entry.documentId)).toMatchObject({ amountCents: entry.amountCents });
  });

  it('refuses a changed stock quantity or credit limit with a message naming the operation to use, and keeps the rest editable', async () => {
    const level = await first('plugin::orders.stock-level');
    const onHand = await admin('PUT', `${CM}/plugin::orders.stock-level/${level.documentId}`, form(level, { onHand: level.onHand + 5 }));
    expect(onHand.status).toBe(400);
    expect(onHand.body.error.message).toMatch(/^onHand of a stock level cannot be edited in the admin panel: .*recordStockTake/);
    expect((await row('plugin::orders.stock-level', level.documentId)).onHand).toBe(level.onHand);
    const safety = await admin('PUT', `${CM}/plugin::orders.stock-level/${level.documentId}`, form(level, { safetyStock: level.safetyStock + 1 }));
    expect(safety.status).toBe(200);
    expect(await row('plugin::orders.stock-level', level.documentId)).toMatchObject({ onHand: level.onHand, safetyStock: level.safetyStock + 1 });

    const account = await first('plugin::dealers.credit-account');
    const limit = await admin('PUT', `${CM}/plugin::dealers.credit-account/${account.documentId}`, form(account, { limitCents: String(Number(account.limitCents) * 10) }));
    expect(limit.status).toBe(400);
    expect(limit.body.error.message).toMatch(/^limitCents of a dealer credit account cannot be edited in the admin panel: .*requestDealerCreditLimitChange/);
    expect((await row('plugin::dealers.credit-account', account.documentId)).limitCents).toBe(account.limitCents);
    const created = await admin('POST', `${CM}/plugin::orders.stock-level`, { productId: level.productId, warehouseId: level.warehouseId, sku: 'X', warehouseCode: 'X', onHand: 100 });
    expect(created.status).toBe(403);
  });

  it('refuses the same writes on the document service, whoever calls it, with Strapi errors the admin can show', async () => {
    const entry = await first('plugin::dealers.credit-entry');
    await expect(env.strapi.documents('plugin::dealers.credit-entry' as any).update({ documentId: entry.documentId, data: { note: 'edited' } } as any)).rejects.toMatchObject({
      name: 'ApplicationError',
      message: expect.stringContaining('postCreditEntry'),
    });
    // The ledger's own guard (its lifecycles) refuses too, as an ApplicationError rather than an internal error.
    await expect(env.strapi.db.query('plugin::dealers.credit-entry').update({ where: { id: entry.id }, data: { note: 'edited' } })).rejects.toMatchObject({
      name: 'ApplicationError',
      message: 'Credit ledger entries cannot be changed or deleted; book a correcting entry instead',
    });
    expect((await row('plugin::dealers.credit-entry', entry.documentId)).note).toBe(entry.note);
  });

  describe('in Chromium', () => {
    let page: Page;
    beforeAll(async () => {
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1440, height: 900 }, locale: 'en-US' });
    });
    const open = async (path: string) => {
      await page.goto(`${env.baseUrl}/admin${path}`);
      await page.waitForLoadState('networkidle');
    };

    it('greets the admin as Channelflow, not Strapi, and signs in', async () => {
      await open('/auth/login');
      await page.getByRole('textbox', { name: /email/i }).waitFor();
      const text = await page.locator('body').innerText();
      expect(text).toContain('Welcome to Channelflow');
      expect(text).not.toMatch(/strapi/i);
      await keepScreenshot(page, 'admin-login');
      await page.getByRole('textbox', { name: /email/i }).fill(ADMIN.email);
      await page.getByLabel(/password/i).first().fill(ADMIN.password);
      await page.getByRole('button', { name: /login/i }).click();
      await page.waitForURL(/\/admin(?!\/auth)/);
    });

    it('shows a dealer with its status and saves it after its city changed', async () => {
      const dealer = await first('plugin::dealers.dealer');
      await open(`/content-manager/collection-types/plugin::dealers.dealer/${dealer.documentId}`);
      // Strapi 5 reserves `status`: under its own name the stored state shows instead of "Choose here".
      const status = page.locator('[role="combobox"][name="lifecycleStatus"]');
      await status.waitFor();
      expect(await status.innerText()).toBe(dealer.lifecycleStatus);
      await page.locator('input[name="city"]').fill('Wuxi');
      await page.getByRole('button', { name: /^save$/i }).click();
      await page.getByText(/saved/i).first().waitFor();
      await keepScreenshot(page, 'admin-dealer-saved');
      expect(await row('plugin::dealers.dealer', dealer.documentId)).toMatchObject({ city: 'Wuxi', lifecycleStatus: dealer.lifecycleStatus });
    });

    it("shows a stock level's quantities read-only and refuses to create a stock movement", async () => {
      const level = await first('plugin::orders.stock-level');
      await open(`/content-manager/collection-types/plugin::orders.stock-level/${level.documentId}`);
      const onHand = page.locator('input[name="onHand"]');
      await onHand.waitFor();
      expect(await onHand.isDisabled()).toBe(true);
      expect(await page.locator('input[name="safetyStock"]').isDisabled()).toBe(false);
      await keepScreenshot(page, 'admin-stock-level-read-only');
      await open('/content-manager/collection-types/plugin::orders.stock-movement/create');
      // No field of a ledger entry can be filled in, and nothing can be saved.
      await page.getByPlaceholder('No permissions to see this field').first().waitFor();
      expect(await page.getByPlaceholder('No permissions to see this field').count()).toBeGreaterThan(5);
      expect(await page.getByRole('button', { name: /^save$/i }).isDisabled()).toBe(true);
      await keepScreenshot(page, 'admin-stock-movement-create-refused');
      expect(await env.strapi.db.query('plugin::orders.stock-movement').count({ where: { idempotencyKey: { $startsWith: 'admin' } } })).toBe(0);
    });
  });

  it('answers /favicon.ico with the product icon', async () => {
    const res = await env.http('/favicon.ico');
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).subarray(1, 4).toString()).toBe('PNG');
  });
});
