import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { inTransaction, notFound, parseInput } from '@channelflow/sdk';
import { summarizeRecords } from './record-summary';

export const RECORD = 'plugin::__name__.record';

export const createRecordInput = z.object({
  dealerCode: z.string().trim().min(1),
  title: z.string().trim().min(2).max(200),
  amountMinor: z.number().int().min(0).max(1_000_000_000_00),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as CNY').default('CNY'),
});

export default ({ strapi }: { strapi: Core.Strapi }) => ({
  async create(raw: z.input<typeof createRecordInput>) {
    const input = parseInput(createRecordInput, raw, '__title__ record');
    return inTransaction(strapi, async () => {
      const dealer = await strapi.db.query('plugin::dealers.dealer').findOne({ where: { code: input.dealerCode } });
      if (!dealer) throw notFound('Dealer', input.dealerCode);
      return strapi.db.query(RECORD).create({
        data: { title: input.title, amountMinor: input.amountMinor, currency: input.currency, dealer: dealer.id },
        populate: ['dealer'],
      });
    });
  },

  async list(page: number, pageSize: number) {
    const [nodes, total] = await Promise.all([
      strapi.db.query(RECORD).findMany({ populate: ['dealer'], orderBy: { id: 'asc' }, offset: (page - 1) * pageSize, limit: pageSize }),
      strapi.db.query(RECORD).count(),
    ]);
    return { nodes, total, page, pageSize };
  },

  /** Always filtered by the dealer's id: callers pass the dealer from dealerScope, never from input. */
  async listForDealer(dealerId: number) {
    return strapi.db.query(RECORD).findMany({ where: { dealer: dealerId }, populate: ['dealer'], orderBy: { id: 'asc' } });
  },

  async summaryForDealer(dealerCode: string) {
    const records = await strapi.db.query(RECORD).findMany({ where: { dealer: { code: dealerCode } } });
    return summarizeRecords(records);
  },
});
