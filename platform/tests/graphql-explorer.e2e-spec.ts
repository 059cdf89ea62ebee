import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';
import { keepScreenshot, launchChromium } from './support/browser';

/** The development GraphQL explorer in a real browser that may reach nothing but the platform. */
describe('the GraphQL explorer (development)', () => {
  let env: TestEnvironment;
  let browser: Browser;
  beforeAll(async () => {
    env = await createTestEnvironment();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await env?.destroy();
  });

  it('loads GraphiQL and the schema from the platform alone, offline, and runs a query', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const local = new URL(env.baseUrl).host;
    const elsewhere: string[] = [];
    // Offline: any request to another host fails, as it would without a network.
    await page.route('**/*', (route) => {
      if (new URL(route.request().url()).host === local) return route.continue();
      elsewhere.push(route.request().url());
      return route.abort('internetdisconnected');
    });
    const problems: string[] = [];
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    page.on('pageerror', (error) => problems.push(error.message));

    await page.goto(`${env.baseUrl}/graphql`);
    await page.locator('.graphiql-container').waitFor();
    // The schema arrived by introspection: the documentation explorer lists the API's queries.
    await page.getByRole('button', { name: /documentation explorer/i }).click();
    await page.locator('.graphiql-doc-explorer').getByText('Query', { exact: true }).click();
    await expect.poll(() => page.locator('.graphiql-doc-explorer').innerText()).toContain('myDealer');

    // A channel manager's query with their token in the Headers tab: the answer shows in the result pane.
    await env.createDealer({ code: 'D-EXPLORER', name: '宁波永安商贸有限公司' });
    const manager = await env.asStaff('channel-manager');
    const setEditor = (selector: string, text: string) => page.locator(selector).first().evaluate((el: any, value) => el.CodeMirror.setValue(value), text);
    await setEditor('.graphiql-query-editor .CodeMirror', '{ dealers(pageSize: 5) { total nodes { code name } } }');
    await page.locator('.graphiql-editor-tools button', { hasText: 'Headers' }).click();
    await setEditor('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror', JSON.stringify({ Authorization: `Bearer ${manager.user.jwt}` }));
    await page.getByRole('button', { name: /execute query/i }).click();
    await expect.poll(() => page.locator('.graphiql-response').innerText()).toContain('宁波永安商贸有限公司');

    await keepScreenshot(page, 'graphql-explorer');
    expect(elsewhere).toEqual([]);
    expect(problems.filter((p) => !/status of 40[13]/.test(p))).toEqual([]);
    expect(await page.locator('body').innerText()).not.toMatch(/might be offline/i);
  });
});
