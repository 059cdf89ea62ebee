import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { inTransaction, notFound, paginate, parseInput, type DealerRef } from '@channelflow/sdk';
import { summarizeRecords } from './record-summary';

export const RECORD = 'plugin::__name__.record';

export const createRecordInput = z.object({
  dealerCode: z.string().trim().min(1),
  title: z.string().trim().min(2).max(200),
  // GraphQL Int and the integer column are 32-bit; use biginteger (as a string) for larger sums.
  amountMinor: z.number().int().min(0).max(2_147_483_647),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as CNY').default('CNY'),
});

export default ({ strapi }: { strapi: Core.Strapi }) => {
  // Another plug-in's data only through its service, never its tables.
  const findDealer = (code: string): Promise<DealerRef | null> => strapi.plugin('dealers').service('dealers').findByCode(code);

  return {
    async create(raw: z.input<typeof createRecordInput>) {
      const input = parseInput(createRecordInput, raw, '__title__ record');
      return inTransaction(strapi, async () => {
        const dealer = await findDealer(input.dealerCode);
        if (!dealer) throw notFound('Dealer', input.dealerCode);
        return strapi.db.query(RECORD).create({
          data: { title: input.title, amountMinor: input.amountMinor, currency: input.currency, dealer: dealer.id },
          populate: ['dealer'],
        });
      });
    },

    async list(page: number, pageSize: number) {
      return paginate(strapi, RECORD, { populate: ['dealer'], orderBy: { id: 'asc' } }, { page, pageSize });
    },

    /** Always filtered by the dealer's id: callers pass the dealer from dealerScope, never from input. */
    async listForDealer(dealerId: number) {
      return strapi.db.query(RECORD).findMany({ where: { dealer: dealerId }, populate: ['dealer'], orderBy: { id: 'asc' } });
    },

    async summaryForDealer(dealerCode: string) {
      const dealer = await findDealer(dealerCode);
      if (!dealer) throw notFound('Dealer', dealerCode);
      return summarizeRecords(await strapi.db.query(RECORD).findMany({ where: { dealer: dealer.id } }));
    },
  };
};
