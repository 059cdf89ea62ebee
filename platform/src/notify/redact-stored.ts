import type { Core } from '@strapi/strapi';
import { isStaffAddress, pendingTokens } from './outbox-provider';
import { redactBody, sameBody } from './redact';

const OUTBOX = 'api::outbox-message.outbox-message';
const MARKER = 'outbox-secrets-redacted';
const BATCH = 200;

/**
 * Installations from before secrets were redacted hold readable reset codes and invitation links
 * in their outbox: blank them (and mark mail to staff) once, on the first start that has this code.
 * Nothing of them is sealed, so such e-mails cannot be retried: their secrets are to be sent anew.
 */
export async function redactStoredSecretsOnce(strapi: Core.Strapi): Promise<void> {
  const marker = strapi.store({ type: 'core', name: 'channelflow' });
  if (await marker.get({ key: MARKER })) return;
  const outbox = strapi.db.query(OUTBOX);
  let changed = 0;
  for (let lastId = 0; ; ) {
    const rows = await outbox.findMany({ where: { id: { $gt: lastId } }, orderBy: { id: 'asc' }, limit: BATCH, select: ['id', 'to', 'subject', 'html', 'text', 'template'] });
    if (!rows.length) break;
    for (const row of rows) {
      lastId = row.id;
      const stored = { subject: row.subject, html: row.html, text: row.text };
      const readable = redactBody(stored, row.template ? [] : await pendingTokens(strapi, row.to));
      const secret = !sameBody(readable, stored);
      const toStaff = await isStaffAddress(strapi, row.to);
      if (secret || toStaff) {
        await outbox.update({ where: { id: row.id }, data: { ...readable, carriesSecret: secret, toStaff, sealedBody: null } });
        changed += 1;
      }
    }
  }
  await marker.set({ key: MARKER, value: new Date().toISOString() });
  if (changed) strapi.log.info(`outbox: ${changed} stored e-mail(s) redacted or marked as mail to staff`);
}
