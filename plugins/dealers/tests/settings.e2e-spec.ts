import { describe, expect, it } from 'vitest';
import { createTestEnvironment, eventually } from '@channelflow/sdk/testing';
import { creditCodeCheckCharacter } from '../src/services/tax-id';

const SUBMIT = 'mutation ($input: DealerApplicationInput!) { submitDealerApplication(input: $input) { number status } }';

/** DEALERS_* settings are read once, validated at start: a bad value stops the start and names the variable. */
describe('dealers settings', () => {
  it.each([
    ['DEALERS_COMPLAINT_REPLY_DAYS', 'soon', /DEALERS_COMPLAINT_REPLY_DAYS/],
    ['DEALERS_REQUIRED_DOCUMENTS', 'business_license, passport', /DEALERS_REQUIRED_DOCUMENTS: names unknown kinds \(passport\)/],
    ['DEALERS_INFO_ANSWER_WINDOW', '30 days', /DEALERS_INFO_ANSWER_WINDOW: an ISO 8601 duration/],
    ['DEALERS_DOCUMENT_MAX_BYTES', '1.5', /DEALERS_DOCUMENT_MAX_BYTES: a whole number/],
  ])('%s=%s stops the start naming the variable', async (name, value, message) => {
    await expect(createTestEnvironment({ env: { [name]: value } })).rejects.toThrow(message);
  });

  it('an empty DEALERS_REQUIRED_DOCUMENTS requires no documents; the other settings reach the plug-in', async () => {
    const env = await createTestEnvironment({ env: { DEALERS_REQUIRED_DOCUMENTS: '', DEALERS_COMPLAINT_REPLY_DAYS: '1', DEALERS_INFO_ANSWER_WINDOW: 'P2D' } });
    try {
      await env.strapi.db.query('api::region.region').create({ data: { code: 'EAST', name: 'East China' } });
      const body = '91330100888888001';
      const taxId = body + creditCodeCheckCharacter(body);
      const { submitDealerApplication: submitted } = await env.anonymous.query(SUBMIT, {
        input: { companyName: 'No Papers Trading Co.', taxId, contactName: 'Wang Fang', contactEmail: 'wang.fang@nopapers.example.com', regionCode: 'EAST', dealerType: 'store', annualVolumeMinor: 100_000_000, locale: 'en' },
      });
      // Without documents, the checks pass: none were required.
      const application = await eventually(async () => {
        const row = await env.strapi.db.query('plugin::dealers.application').findOne({ where: { number: submitted.number } });
        if (!row.trail.some((s: any) => s.action.startsWith('checks'))) throw new Error('not checked yet');
        return row;
      });
      expect(application.trail.find((s: any) => s.action.startsWith('checks'))).toMatchObject({ action: 'checks passed', note: null });

      const dealer = await env.createDealer();
      const filed = await env.strapi.plugin('dealers').service('service-records').create({ kind: 'complaint', dealerId: dealer.id, channel: 'phone', subject: 'Broken box', content: 'Two units arrived broken.', recordedBy: 'staff@test' });
      const hours = (Date.parse(filed.dueAt!) - Date.now()) / 3_600_000;
      expect(hours).toBeGreaterThan(23);
      expect(hours).toBeLessThanOrEqual(24);
    } finally {
      await env.destroy();
    }
  });
});
