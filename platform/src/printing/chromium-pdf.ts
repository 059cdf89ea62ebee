import fs from 'node:fs';
import { ChannelflowError, type PdfPrinter } from '@channelflow/sdk';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium by default; CHROMIUM_PATH names another. */
const chromiumPath = () => process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * PDFs of printable pages, rendered by one headless Chromium started on the first request. The page
 * may load nothing from anywhere (its images are inline), so a template cannot make the server fetch.
 */
export function chromiumPdfPrinter(): PdfPrinter & { close(): Promise<void> } {
  let browser: Promise<Browser> | null = null;
  const launch = () => {
    if (!fs.existsSync(chromiumPath())) {
      throw new ChannelflowError('PDF_UNAVAILABLE', `PDFs are printed with Chromium, which is not installed at ${chromiumPath()} (apt-get install chromium, or set CHROMIUM_PATH); the printable page works without it`);
    }
    browser ??= chromium.launch({ executablePath: chromiumPath(), args: ARGS }).catch((error) => {
      browser = null;
      throw error;
    });
    return browser;
  };
  return {
    async pdf(html, { footer }) {
      const context = await (await launch()).newContext({ javaScriptEnabled: false });
      try {
        await context.route('**/*', (route) => route.abort('blockedbyclient'));
        const page = await context.newPage();
        await page.setContent(html, { waitUntil: 'load' });
        const label = footer.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
        return await page.pdf({
          format: 'A4',
          printBackground: true,
          displayHeaderFooter: true,
          headerTemplate: '<span></span>',
          footerTemplate: `<div style="width:100%;font-size:8px;color:#555;text-align:center;">${label} · <span class="pageNumber"></span> / <span class="totalPages"></span></div>`,
          margin: { top: '16mm', bottom: '18mm', left: '14mm', right: '14mm' },
        });
      } finally {
        await context.close().catch(() => undefined);
      }
    },
    async close() {
      const open = browser;
      browser = null;
      if (open) await (await open.catch(() => null))?.close();
    },
  };
}
