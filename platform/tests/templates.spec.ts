import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { createTemplateRenderer, TemplateError, type TemplateRendererOptions } from '../src/templates/renderer';

const fixtures = path.join(__dirname, 'fixtures', 'templates');
const adminRoot = path.join(fixtures, 'admin');
const pluginRoot = path.join(fixtures, 'plugin');
const repoTemplates = path.join(__dirname, '..', '..', 'templates');

const renderer = (options: Partial<TemplateRendererOptions> = {}) => createTemplateRenderer({ roots: [adminRoot, pluginRoot], ...options });

/** Runs fn and returns the TemplateError it throws; fails the test when it does not throw one. */
function templateError(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TemplateError);
    return error as TemplateError;
  }
  throw new Error('expected a TemplateError, but nothing was thrown');
}

const probe = (name: string, locale: string, data: Record<string, unknown>, options?: Partial<TemplateRendererOptions>) =>
  renderer(options).render(`probe/${name}`, { locale, data }).html.trim();

describe('money helper', () => {
  // Expected strings were produced by Node 20's Intl; KWD uses a no-break space (\u00a0) after the code.
  const table: Array<[locale: string, amountMinor: number | bigint | string, currency: string, expected: string]> = [
    ['en', 123456, 'CNY', 'CN¥1,234.56'],
    ['en', -123456, 'CNY', '-CN¥1,234.56'],
    ['en', 123456789012, 'CNY', 'CN¥1,234,567,890.12'],
    ['en', 5, 'CNY', 'CN¥0.05'],
    ['en', 0, 'CNY', 'CN¥0.00'],
    ['en', 123456, 'USD', '$1,234.56'],
    ['en', -5, 'USD', '-$0.05'],
    ['en', 123456789012, 'USD', '$1,234,567,890.12'],
    ['en', 123456, 'JPY', '¥123,456'],
    ['en', -123456, 'JPY', '-¥123,456'],
    ['en', 123456789012, 'JPY', '¥123,456,789,012'],
    ['en', 123456, 'KWD', 'KWD\u00a0123.456'],
    ['en', -1, 'KWD', '-KWD\u00a00.001'],
    ['en', 123456789012, 'KWD', 'KWD\u00a0123,456,789.012'],
    ['zh-CN', 123456, 'CNY', '¥1,234.56'],
    ['zh-CN', -123456, 'CNY', '-¥1,234.56'],
    ['zh-CN', 123456789012, 'CNY', '¥1,234,567,890.12'],
    ['zh-CN', 123456, 'USD', 'US$1,234.56'],
    ['zh-CN', -5, 'USD', '-US$0.05'],
    ['zh-CN', 123456789012, 'USD', 'US$1,234,567,890.12'],
    ['zh-CN', 123456, 'JPY', 'JP¥123,456'],
    ['zh-CN', -123456, 'JPY', '-JP¥123,456'],
    ['zh-CN', 123456789012, 'JPY', 'JP¥123,456,789,012'],
    ['zh-CN', 123456, 'KWD', 'KWD\u00a0123.456'],
    ['zh-CN', -1, 'KWD', '-KWD\u00a00.001'],
    ['zh-CN', 123456789012, 'KWD', 'KWD\u00a0123,456,789.012'],
    // Beyond Number.MAX_SAFE_INTEGER: exact only because no float is ever involved.
    ['en', 123456789012345678901234n, 'CNY', 'CN¥1,234,567,890,123,456,789,012.34'],
    ['zh-CN', '123456789012345678901234', 'CNY', '¥1,234,567,890,123,456,789,012.34'],
    ['en', '-123456', 'usd', '-$1,234.56'],
  ];

  it.each(table)('%s: %s minor units of %s → %s', (locale, amount, currency, expected) => {
    expect(probe('money', locale, { amount, currency })).toBe(expected);
  });

  const refusals: Array<[label: string, amount: unknown, currency: unknown, message: RegExp]> = [
    ['a float amount', 12.5, 'CNY', /integer count of minor units.*12\.5 \(number\)/],
    ['an unsafe integer', 2 ** 53, 'CNY', /integer count of minor units/],
    ['a decimal string', '12.50', 'CNY', /integer count of minor units/],
    ['an unknown currency', 100, 'XYZ', /unknown currency "XYZ"/],
    ['a malformed currency', 100, 'EURO', /unknown currency "EURO"/],
  ];

  it.each(refusals)('refuses %s', (_label, amount, currency, message) => {
    const error = templateError(() => probe('money', 'en', { amount, currency }));
    expect(error.code).toBe('TEMPLATE_RENDER_FAILED');
    expect(error.templateName).toBe('probe/money');
    expect(error.message).toMatch(message);
  });

  it('reports a missing helper argument as a missing variable, not as undefined money', () => {
    const error = templateError(() => probe('money', 'en', { currency: 'CNY' }));
    expect(error.code).toBe('TEMPLATE_MISSING_VARIABLE');
    expect(error.variable).toBe('amount');
  });
});

describe('date helper', () => {
  const at = '2024-03-05T18:30:00Z';
  const table: Array<[locale: string, timeZone: string | undefined, value: unknown, expected: string]> = [
    // Default zone Asia/Shanghai is UTC+8, so 18:30Z is already the 6th.
    ['en', undefined, at, 'Mar 6, 2024|3/6/24|March 6, 2024|Mar 6, 2024, 2:30 AM'],
    ['zh-CN', undefined, at, '2024年3月6日|2024/3/6|2024年3月6日|2024年3月6日 02:30'],
    ['en', 'UTC', at, 'Mar 5, 2024|3/5/24|March 5, 2024|Mar 5, 2024, 6:30 PM'],
    ['zh-CN', 'UTC', at, '2024年3月5日|2024/3/5|2024年3月5日|2024年3月5日 18:30'],
    ['en', undefined, new Date(at), 'Mar 6, 2024|3/6/24|March 6, 2024|Mar 6, 2024, 2:30 AM'],
    ['en', undefined, '2024-03-06T02:30:00+08:00', 'Mar 6, 2024|3/6/24|March 6, 2024|Mar 6, 2024, 2:30 AM'],
  ];

  it.each(table)('%s in %s: %s → %s', (locale, timeZone, value, expected) => {
    expect(probe('date', locale, { at: value }, { timeZone })).toBe(expected);
  });

  it.each([
    ['en', undefined, at, '2024-03-06'],
    ['en', 'UTC', at, '2024-03-05'],
    ['en', 'America/Los_Angeles', '2024-03-05', '2024-03-05'],
  ] as const)('iso in %s (%s): %s → %s, the same digits in every locale', (locale, timeZone, value, expected) => {
    expect(probe('date-style', locale, { at: value, style: 'iso' }, { timeZone })).toBe(expected);
  });

  it('keeps a date-only string on its calendar day in any time zone', () => {
    expect(probe('date-style', 'en', { at: '2024-03-05', style: 'medium' }, { timeZone: 'America/Los_Angeles' })).toBe('Mar 5, 2024');
    expect(probe('date-style', 'en', { at: '2024-03-05', style: 'medium' }, { timeZone: 'Asia/Shanghai' })).toBe('Mar 5, 2024');
  });

  const refusals: Array<[label: string, at: unknown, style: unknown, message: RegExp]> = [
    ['an unparseable string', 'next Tuesday', 'medium', /ISO 8601/],
    ['an invalid Date', new Date('nonsense'), 'medium', /ISO 8601/],
    ['a time without a zone', '2024-03-05T10:00:00', 'medium', /ISO 8601/],
    ['an impossible day', '2024-02-31T10:00:00Z', 'medium', /ISO 8601/],
    ['a number', 1709663400000, 'medium', /ISO 8601/],
    ['an unknown style', '2024-03-05T10:00:00Z', 'full', /style must be one of iso, short, medium, long, datetime/],
    ['datetime of a date-only value', '2024-03-05', 'datetime', /no time of day/],
  ];

  it.each(refusals)('refuses %s', (_label, value, style, message) => {
    const error = templateError(() => probe('date-style', 'en', { at: value, style }));
    expect(error.code).toBe('TEMPLATE_RENDER_FAILED');
    expect(error.message).toMatch(message);
  });

  it('refuses a time zone that does not exist when the renderer is created', () => {
    expect(() => renderer({ timeZone: 'Mars/Olympus_Mons' })).toThrow(/timeZone "Mars\/Olympus_Mons" is not valid/);
  });
});

describe('percent and number helpers', () => {
  const percents: Array<[locale: string, basisPoints: number | bigint | string, expected: string]> = [
    ['en', 1234, '12.34%'],
    ['en', 0, '0%'],
    ['en', -250, '-2.5%'],
    ['en', 10000, '100%'],
    ['en', 5, '0.05%'],
    ['en', 12345678, '123,456.78%'],
    ['zh-CN', 1234, '12.34%'],
    ['zh-CN', '-250', '-2.5%'],
    ['zh-CN', 12345678n, '123,456.78%'],
  ];

  it.each(percents)('%s: %s basis points → %s', (locale, basisPoints, expected) => {
    expect(probe('percent', locale, { basisPoints })).toBe(expected);
  });

  it('refuses fractional basis points', () => {
    const error = templateError(() => probe('percent', 'en', { basisPoints: 12.5 }));
    expect(error.code).toBe('TEMPLATE_RENDER_FAILED');
    expect(error.message).toMatch(/basis points must be an integer/);
  });

  const numbers: Array<[locale: string, value: unknown, expected: string]> = [
    ['en', 1234567, '1,234,567'],
    ['en', 1234.5, '1,234.5'],
    ['en', '-0.5', '-0.5'],
    ['en', 12345678901234567890n, '12,345,678,901,234,567,890'],
    ['zh-CN', 1234567, '1,234,567'],
  ];

  it.each(numbers)('%s: number %s → %s', (locale, value, expected) => {
    expect(probe('number', locale, { value })).toBe(expected);
  });

  it.each([[Number.NaN], [Infinity], ['12abc'], [{}]])('refuses number %s', (value) => {
    expect(templateError(() => probe('number', 'en', { value })).code).toBe('TEMPLATE_RENDER_FAILED');
  });

  it('eq compares strictly', () => {
    expect(probe('eq', 'en', { status: 'paid' })).toBe('paid');
    expect(probe('eq', 'en', { status: 'PAID' })).toBe('open');
  });
});

describe('t helper', () => {
  const table: Array<[locale: string, key: string, expected: string]> = [
    ['en', 'greeting', 'Hello Ann &amp; Bob!'],
    ['zh-CN', 'greeting', 'Ann &amp; Bob，你好！'],
    ['en', 'footer.note', 'Sent by Acme'],
    // Earlier root wins per key; keys only a later root has still resolve.
    ['en', 'shared', 'admin shared'],
    ['en', 'plugin.only', 'from plugin'],
    ['zh-CN', 'plugin.only', '来自插件'],
    // Not in any en file: falls back to the default locale's (zh-CN) files.
    ['en', 'onlyChinese', '仅中文 Ann &amp; Bob'],
  ];

  it.each(table)('%s %s → %s', (locale, key, expected) => {
    expect(probe('t', locale, { key, name: 'Ann & Bob' })).toBe(expected);
  });

  it('names a key that no i18n file has', () => {
    const error = templateError(() => probe('t', 'en', { key: 'no.such.key', name: 'x' }));
    expect(error.code).toBe('TEMPLATE_RENDER_FAILED');
    expect(error.message).toContain('"no.such.key"');
  });

  it('refuses a message whose placeholder was not passed', () => {
    const error = templateError(() => renderer().render('probe/t', { locale: 'en', data: { key: 'orders.total', name: 'x' } }));
    expect(error.code).toBe('TEMPLATE_RENDER_FAILED');
    expect(error.message).toMatch(/needs \{amount\}/);
  });
});

describe('template lookup', () => {
  it('uses the requested locale when the template has it', () => {
    const result = renderer().render('orders/confirmation', { locale: 'en', data: confirmationData() });
    expect(result.locale).toBe('en');
    expect(result.html).toContain('Hello Li Wei!');
  });

  it('falls back to the default locale and reports the locale it used', () => {
    const result = renderer().render('dealers/welcome', { locale: 'en', data: { dealerName: '华东经销' } });
    expect(result.locale).toBe('zh-CN');
    expect(result.subject).toBe('欢迎 华东经销');
  });

  it('uses the default locale when none is requested', () => {
    expect(renderer().render('orders/confirmation', { data: confirmationData() }).locale).toBe('zh-CN');
    expect(renderer({ defaultLocale: 'en' }).render('orders/confirmation', { data: confirmationData() }).locale).toBe('en');
  });

  it('accepts a locale in any case', () => {
    expect(renderer().render('orders/confirmation', { locale: 'zh-cn', data: confirmationData() }).locale).toBe('zh-CN');
  });

  it('throws TEMPLATE_NOT_FOUND naming the template and the locales tried', () => {
    const missing = templateError(() => renderer().render('orders/nope', { locale: 'en', data: {} }));
    expect(missing.code).toBe('TEMPLATE_NOT_FOUND');
    expect(missing.templateName).toBe('orders/nope');
    expect(missing.message).toContain('orders/nope');

    const noLocale = templateError(() => renderer({ defaultLocale: 'en' }).render('dealers/welcome', { locale: 'fr', data: {} }));
    expect(noLocale.code).toBe('TEMPLATE_NOT_FOUND');
    expect(noLocale.message).toMatch(/locales tried: fr, en/);
  });

  it('does not treat layouts, partials or i18n as templates', () => {
    expect(templateError(() => renderer().render('partials/footer', { locale: 'en', data: {} })).code).toBe('TEMPLATE_NOT_FOUND');
    const names = renderer().list().map((entry) => entry.name);
    expect(names.some((name) => /^(layouts|partials|i18n)\//.test(name))).toBe(false);
  });

  it('lists templates with their locales and the root that wins', () => {
    const listed = renderer().list();
    expect(listed.find((entry) => entry.name === 'orders/shipped')).toEqual({ name: 'orders/shipped', locales: ['en', 'zh-CN'], root: adminRoot });
    expect(listed.find((entry) => entry.name === 'dealers/welcome')).toEqual({ name: 'dealers/welcome', locales: ['zh-CN'], root: adminRoot });
    expect(listed.map((entry) => entry.name)).toEqual([...listed.map((entry) => entry.name)].sort((a, b) => a.localeCompare(b)));
  });
});

describe('root override order', () => {
  it('takes a template from the earliest root that has it, per locale', () => {
    expect(renderer().render('orders/shipped', { locale: 'en', data: { orderNo: 'A-1' } }).html.trim()).toBe('<p>admin shipped A-1</p>');
    expect(renderer().render('orders/shipped', { locale: 'zh-CN', data: { orderNo: 'A-1' } }).html.trim()).toBe('<p>插件 已发货 A-1</p>');
    // Swapping the roots swaps the winner.
    const pluginFirst = createTemplateRenderer({ roots: [pluginRoot, adminRoot] });
    expect(pluginFirst.render('orders/shipped', { locale: 'en', data: { orderNo: 'A-1' } }).html.trim()).toBe('<p>plugin shipped A-1</p>');
  });

  it('takes partials and layouts from the earliest root, and still finds partials only a later root has', () => {
    const { html } = renderer().render('orders/confirmation', { locale: 'en', data: confirmationData() });
    expect(html).toContain('<footer>admin footer: Sent by Acme</footer>');
    expect(html).not.toContain('plugin footer');
    expect(html).not.toContain('plugin layout');
    expect(html).toContain('<p>plugin signature: admin shared / from plugin</p>');

    const pluginFirst = createTemplateRenderer({ roots: [pluginRoot, adminRoot] });
    const swapped = pluginFirst.render('orders/confirmation', { locale: 'en', data: confirmationData() }).html;
    expect(swapped).toContain('plugin layout');
    expect(swapped).toContain('plugin shared');
  });
});

describe('front matter and layouts', () => {
  it('renders the subject with the data and the body inside the default layout', () => {
    const result = renderer().render('orders/confirmation', { locale: 'en', data: confirmationData() });
    expect(result.subject).toBe('Order SO-42 confirmed, Li Wei');
    expect(result.html).toContain('<title>Order SO-42 confirmed, Li Wei</title>');
    expect(result.html).toContain('<h1>Acme</h1>');
    expect(result.html).toContain('Total: CN¥1,299.00 (12.5% off), placed Mar 6, 2024.');
    expect(result.html).toContain('<li>BRK-7 × 1,200</li>');
  });

  it('renders the same template in zh-CN with zh-CN formatting', () => {
    const result = renderer().render('orders/confirmation', { locale: 'zh-CN', data: confirmationData() });
    expect(result.subject).toBe('订单 SO-42 已确认');
    expect(result.html).toContain('合计 ¥1,299.00，优惠 12.5%，下单日期 2024年3月6日。');
    expect(result.html).toContain('<footer>admin footer: Acme 发送</footer>');
  });

  it('does not HTML-escape the subject but does escape the body and the title', () => {
    const result = renderer().render('misc/escaping', { locale: 'en', data: { name: 'Tom & "Jerry" <Ltd>' } });
    expect(result.subject).toBe('Hi Tom & "Jerry" <Ltd>');
    expect(result.html.trim()).toBe('<p>Tom &amp; &quot;Jerry&quot; &lt;Ltd&gt;</p>');
  });

  it('keeps the subject on one line', () => {
    const result = renderer().render('misc/escaping', { locale: 'en', data: { name: 'a\r\nBcc: evil@example.com' } });
    expect(result.subject).toBe('Hi a Bcc: evil@example.com');
  });

  it('gives no subject when the front matter has none, and omits the brand header when brandName is absent', () => {
    const result = renderer().render('misc/no-subject', { locale: 'en', data: { name: 'Ann' } });
    expect(result.subject).toBeNull();
    expect(result.html).toContain('<title></title>');
    expect(result.html).not.toContain('<h1>');
  });

  it('uses no layout for layout: none', () => {
    const result = renderer().render('orders/shipped', { locale: 'en', data: { orderNo: 'A-1' } });
    expect(result.html).not.toContain('<html');
    expect(result.html.trim()).toBe('<p>admin shipped A-1</p>');
  });

  it('uses the layout the front matter names', () => {
    expect(renderer().render('misc/named-layout', { locale: 'en', data: {} }).html.trim()).toBe('<div class="plain-layout"><p>inside plain</p>\n</div>');
  });

  it('uses no layout when no root has a default layout', () => {
    const bare = createTemplateRenderer({ roots: [path.join(adminRoot, 'misc')] });
    expect(bare.list()).toEqual([
      { name: 'escaping', locales: ['en'], root: path.join(adminRoot, 'misc') },
      { name: 'named-layout', locales: ['en'], root: path.join(adminRoot, 'misc') },
      { name: 'no-subject', locales: ['en'], root: path.join(adminRoot, 'misc') },
    ]);
    expect(bare.render('no-subject', { locale: 'en', data: { name: 'Ann' } }).html).not.toContain('<html');
  });
});

describe('errors', () => {
  it('reports a missing variable by name, with the template and file', () => {
    const error = templateError(() => probe('variables', 'en', { order: { number: 7 } }));
    expect(error.code).toBe('TEMPLATE_MISSING_VARIABLE');
    expect(error.templateName).toBe('probe/variables');
    expect(error.variable).toBe('recipientName');
    expect(error.message).toContain('"recipientName"');
    expect(error.message).toContain('probe/variables');
    // Line 4 of the file: the three front-matter lines are counted.
    expect(error.message).toContain(`${path.join(adminRoot, 'probe', 'variables.en.hbs')}:4:`);
  });

  it('reports a missing nested variable', () => {
    const error = templateError(() => probe('variables', 'en', { recipientName: 'Ann', order: {} }));
    expect(error.code).toBe('TEMPLATE_MISSING_VARIABLE');
    expect(error.variable).toBe('number');
    expect(error.message).toContain(':7:');
  });

  it('counts null as present', () => {
    expect(probe('variables', 'en', { recipientName: null, order: { number: null } })).toBe('<p>Hello </p>\n\n\n<p>Order </p>');
  });

  it('reports a missing variable inside an #each block', () => {
    const error = templateError(() => renderer().render('orders/confirmation', { locale: 'en', data: { ...confirmationData(), lines: [{ qty: 1 }] } }));
    expect(error.code).toBe('TEMPLATE_MISSING_VARIABLE');
    expect(error.variable).toBe('sku');
  });

  it('reports the deliberately broken template as TEMPLATE_INVALID with its path', () => {
    const file = path.join(adminRoot, 'broken', 'unclosed.en.hbs');
    const error = templateError(() => renderer().render('broken/unclosed', { locale: 'en', data: { customer: null } }));
    expect(error.code).toBe('TEMPLATE_INVALID');
    expect(error.templateName).toBe('broken/unclosed');
    expect(error.filePath).toBe(file);
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/Parse error/);
  });

  it('keeps rendering other templates after a broken one', () => {
    const shared = renderer();
    templateError(() => shared.render('broken/unclosed', { locale: 'en', data: {} }));
    expect(shared.render('orders/shipped', { locale: 'en', data: { orderNo: 'A-2' } }).html).toContain('A-2');
  });

  it.each([
    ['broken/unknown-key', /unknown front matter key "subjcet"/],
    ['broken/missing-layout', /layout "nowhere" is not in any root/],
    // Unescaped output would let a dealer's name or a staff note become markup: refused, with the file's line.
    ['broken/raw-output', /\{\{\{dealerName\}\}\} writes dealerName unescaped.* - 5:0$/],
  ])('reports %s as TEMPLATE_INVALID', (name, message) => {
    const error = templateError(() => renderer().render(name, { locale: 'en', data: {} }));
    expect(error.code).toBe('TEMPLATE_INVALID');
    expect(error.message).toMatch(message);
  });
});

describe('plain-text version', () => {
  it('has no tags and keeps line breaks where the HTML ends a line', () => {
    const { text } = renderer().render('misc/no-subject', { locale: 'en', data: { name: 'Ann' } });
    expect(text).not.toMatch(/<[a-z/!][^>]*>/i);
    expect(text).toBe('Dear Ann, welcome.\nSecond line & more.\nLast paragraph.\nadmin footer: Sent by Acme');
  });

  it('shows link targets and list items', () => {
    const { text } = renderer().render('orders/confirmation', { locale: 'en', data: confirmationData() });
    expect(text).toContain('your order page (https://example.com/orders/SO-42)');
    expect(text).toContain('- BRK-7 × 1,200');
    expect(text).not.toContain('<');
    // The title is not repeated in the body text.
    expect(text.startsWith('Acme\n')).toBe(true);
  });
});

describe('caching and reload', () => {
  it('recompiles an edited file by mtime and sees new files only after reload()', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'templates-spec-'));
    try {
      fs.cpSync(adminRoot, root, { recursive: true });
      const live = createTemplateRenderer({ roots: [root] });
      const file = path.join(root, 'orders', 'shipped.en.hbs');
      expect(live.render('orders/shipped', { locale: 'en', data: { orderNo: 1 } }).html).toContain('admin shipped 1');

      fs.writeFileSync(file, '---\nlayout: none\n---\n<p>edited {{orderNo}}</p>\n');
      const later = new Date(Date.now() + 5000);
      fs.utimesSync(file, later, later);
      expect(live.render('orders/shipped', { locale: 'en', data: { orderNo: 1 } }).html).toContain('edited 1');

      fs.writeFileSync(path.join(root, 'orders', 'shipped.fr.hbs'), '---\nlayout: none\n---\nexpédié\n');
      expect(live.list().find((entry) => entry.name === 'orders/shipped')?.locales).toEqual(['en']);
      live.reload();
      expect(live.list().find((entry) => entry.name === 'orders/shipped')?.locales).toEqual(['en', 'fr']);
      expect(live.render('orders/shipped', { locale: 'fr', data: {} }).html.trim()).toBe('expédié');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('repository templates: platform/test-message', () => {
  const repo = createTemplateRenderer({ roots: [repoTemplates] });
  const data = { recipientName: '王小明', sentAt: '2024-03-05T18:30:00Z', brandName: 'Acme Bikes' };

  it('renders in English', () => {
    const result = repo.render('platform/test-message', { locale: 'en', data: { ...data, recipientName: 'Ann Lee' } });
    expect(result.locale).toBe('en');
    expect(result.subject).toBe('Test message from Acme Bikes');
    expect(result.html).toContain('<html lang="en">');
    expect(result.html).toContain('<title>Test message from Acme Bikes</title>');
    expect(result.html).toContain('Hello Ann Lee,');
    expect(result.html).toContain('Mar 6, 2024, 2:30 AM');
    expect(result.text).not.toMatch(/<[^>]+>/);
    expect(result.text).toContain('Acme Bikes');
    expect(result.text).toContain('Please do not reply');
  });

  it('renders in Chinese', () => {
    const result = repo.render('platform/test-message', { locale: 'zh-CN', data });
    expect(result.locale).toBe('zh-CN');
    expect(result.subject).toBe('来自Acme Bikes的测试邮件');
    expect(result.html).toContain('<html lang="zh-CN">');
    expect(result.html).toContain('王小明，您好：');
    expect(result.html).toContain('2024年3月6日 02:30');
    expect(result.text).not.toMatch(/<[^>]+>/);
    expect(result.text).toContain('请勿直接回复');
  });

  it('renders without brandName: the layout leaves the header out instead of failing strict mode', () => {
    const { brandName: _omitted, ...withoutBrand } = data;
    const result = repo.render('platform/test-message', { locale: 'en', data: withoutBrand });
    expect(result.subject).toBe('Test message from Channelflow');
    expect(result.html).not.toContain('font-size:20px;font-weight:bold');
  });

  it('still requires recipientName', () => {
    const { recipientName: _omitted, ...withoutName } = data;
    const error = templateError(() => repo.render('platform/test-message', { locale: 'en', data: withoutName }));
    expect(error.code).toBe('TEMPLATE_MISSING_VARIABLE');
    expect(error.variable).toBe('recipientName');
  });

  it('is listed in both locales', () => {
    expect(repo.list()).toContainEqual({ name: 'platform/test-message', locales: ['en', 'zh-CN'], root: repoTemplates });
  });
});

function confirmationData(): Record<string, unknown> {
  return {
    orderNo: 'SO-42',
    customer: { name: 'Li Wei' },
    totalMinor: 129900,
    currency: 'CNY',
    discountBasisPoints: 1250,
    placedAt: '2024-03-05T18:30:00Z',
    lines: [{ sku: 'BRK-7', qty: 1200 }],
    brandName: 'Acme',
  };
}

describe('secrets in e-mails', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'templates-secret-'));
  fs.mkdirSync(path.join(root, 'probe'));
  fs.writeFileSync(path.join(root, 'probe', 'link.en.hbs'), '---\nsubject: "Join {{dealer}}"\nlayout: none\n---\n<p>{{dealer}}: <a href="{{secret url}}">accept</a></p>\n');
  fs.writeFileSync(path.join(root, 'probe', 'whole.en.hbs'), '---\nsubject: "Your code"\nlayout: none\nsecret: true\n---\n<p>Code {{code}}</p>\n');
  fs.writeFileSync(path.join(root, 'probe', 'plain.en.hbs'), '---\nlayout: none\n---\n<p>{{dealer}}</p>\n');
  fs.writeFileSync(path.join(root, 'probe', 'bad.en.hbs'), '---\nsecret: maybe\n---\n<p>x</p>\n');
  const render = (name: string, data: Record<string, unknown>) => createTemplateRenderer({ roots: [root] }).render(`probe/${name}`, { locale: 'en', data });
  const url = 'https://portal.example/accept?token=abc123';

  it('delivers a {{secret}} value as is and keeps a readable copy with it redacted', () => {
    const rendered = render('link', { dealer: 'D1', url });
    expect(rendered.html).toContain('href="https://portal.example/accept?token&#x3D;abc123"');
    expect(rendered.redacted).toEqual({ subject: 'Join D1', html: expect.stringContaining('href="[redacted]"'), text: 'D1: accept' });
    expect(JSON.stringify(rendered.redacted)).not.toContain('abc123');
    expect(rendered.redacted!.html).toContain('D1');
  });

  it('redacts the whole body of a template marked secret: true', () => {
    const rendered = render('whole', { code: '884211' });
    expect(rendered.text).toContain('884211');
    expect(rendered.redacted).toMatchObject({ subject: 'Your code', text: '[redacted]' });
    expect(JSON.stringify(rendered.redacted)).not.toContain('884211');
  });

  it('keeps no redacted copy of an e-mail without secrets', () => {
    expect(render('plain', { dealer: 'D1' }).redacted).toBeNull();
  });

  it('refuses a secret that is not a string, and a front matter secret that is not true or false', () => {
    expect(templateError(() => render('link', { dealer: 'D1', url: 42 })).message).toMatch(/secret: expected a non-empty string/);
    expect(templateError(() => render('bad', {})).message).toMatch(/"secret" is true or false/);
  });
});
