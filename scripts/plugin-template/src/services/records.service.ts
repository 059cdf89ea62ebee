import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import type {} from '@channelflow/plugin-dealers/contract';
import { afterCommit, badInput, ChannelflowError, dealerWhere, inTransaction, notFound, paginate, parseInput, service, withKnex, type DealerListScope } from '@channelflow/sdk';
import { RECORD_APPROVED } from '../events';
import { __nameCamel__Options } from '../options';
import { summarizeRecords } from './record-summary';
import { approvalLedger, BALANCES, CURRENCY } from './records.ledger';
import { recordLifecycle } from './records.state-machine';

export const RECORD = 'plugin::__name__.record';

export const createRecordInput = z.object({
  dealerCode: z.string().trim().min(1),
  title: z.string().trim().min(2).max(200),
  // Integer minor units (GraphQL Long, a biginteger column); never a float.
  amountMinor: z.number().int('amounts are integer minor units').min(0).max(Number.MAX_SAFE_INTEGER),
});

export default ({ strapi }: { strapi: Core.Strapi }) => {
  // Another plug-in's data only through its service (typed by its contract), never its tables.
  const dealers = () => service(strapi, 'dealers', 'dealers');
  const records = () => strapi.db.query(RECORD);
  const lifecycle = recordLifecycle.bind(strapi);
  const ledger = approvalLedger.bind(strapi);

  async function dealerByCode(code: string) {
    const dealer = await dealers().findByCode(code);
    if (!dealer) throw notFound('Dealer', code);
    return dealer;
  }

  async function recordOf(documentId: string) {
    const record = await records().findOne({ where: { documentId }, populate: ['dealer'] });
    if (!record) throw notFound('__Title__ record', documentId);
    return record;
  }

  async function create(raw: z.input<typeof createRecordInput>, by = 'staff') {
    const input = parseInput(createRecordInput, raw, '__title__ record');
    const { maxAmountMinor } = __nameCamel__Options.of(strapi);
    if (input.amountMinor > maxAmountMinor) {
      throw badInput(`A __title__ record may carry at most ${maxAmountMinor} minor units`, [{ path: 'amountMinor', message: `at most ${maxAmountMinor}` }]);
    }
    return inTransaction(strapi, async () => {
      const dealer = await dealerByCode(input.dealerCode);
      return records().create({
        data: { title: input.title, amountMinor: input.amountMinor, currency: CURRENCY, dealer: dealer.id, ...recordLifecycle.initial('submitted', { by }) },
        populate: ['dealer'],
      });
    });
  }

  return {
    create,

    /**
     * Approves a submitted record: the state move, the ledger entry and the domain event commit
     * together (the event is delivered after the commit). A second approval is a CONFLICT.
     */
    async approve(documentId: string, by: string) {
      return ledger.transaction(async (trx) => {
        const record = await recordOf(documentId);
        const approved = await lifecycle.move(record, 'approved', { by });
        await trx(BALANCES).insert({ dealer_id: record.dealer.id, approved_minor: 0, updated_at: new Date() }).onConflict('dealer_id').ignore();
        const posted = await ledger.post(trx, { dealer_id: record.dealer.id }, {
          dealerId: record.dealer.id,
          recordId: record.id,
          kind: 'approval',
          amountMinor: Number(record.amountMinor),
          idempotencyKey: `approval:${record.documentId}`,
        });
        if (!posted.applied) throw new ChannelflowError('CONFLICT', `__Title__ record ${documentId} could not be booked`);
        await afterCommit(strapi).emit(
          RECORD_APPROVED,
          { recordId: record.documentId, dealerId: record.dealer.id, dealerCode: record.dealer.code, amountMinor: Number(record.amountMinor), currency: record.currency },
          { eventId: `${RECORD_APPROVED}:${record.documentId}` },
        );
        return approved;
      });
    },

    async reject(documentId: string, by: string, reason: string) {
      return inTransaction(strapi, async () => lifecycle.move(await recordOf(documentId), 'rejected', { by, note: reason }));
    },

    /** The record every newly onboarded dealer starts with (the dealers.onboarded handler). */
    async welcome(dealerCode: string) {
      const { welcomeTitle } = __nameCamel__Options.of(strapi);
      return create({ dealerCode, title: welcomeTitle, amountMinor: 0 }, 'platform');
    },

    /** What has been approved for a dealer so far (callers pass a dealer the actor reaches). */
    async approvedFor(dealerId: number): Promise<{ amountMinor: number; currency: string }> {
      const row = await withKnex<{ approved_minor: number | string } | undefined>(strapi, (knex) => knex(BALANCES).where({ dealer_id: dealerId }).first());
      return { amountMinor: Number(row?.approved_minor ?? 0), currency: CURRENCY };
    },

    /** A staff list: `scope` comes from staffListScope (one dealer, the dealers the actor reaches, or all). */
    async list(scope: DealerListScope, page: number, pageSize: number) {
      return paginate(strapi, RECORD, { where: dealerWhere(scope, 'dealer'), populate: ['dealer'], orderBy: { id: 'asc' } }, { page, pageSize });
    },

    /** Always filtered by the dealer's id: callers pass the dealer from dealerScope, never from input. */
    async listForDealer(dealerId: number) {
      return records().findMany({ where: { dealer: dealerId }, populate: ['dealer'], orderBy: { id: 'asc' } });
    },

    async summaryForDealer(dealerCode: string) {
      const dealer = await dealerByCode(dealerCode);
      const rows = await records().findMany({ where: { dealer: dealer.id } });
      return summarizeRecords(rows.map((r: { amountMinor: number | string }) => ({ amountMinor: Number(r.amountMinor) })));
    },
  };
};
