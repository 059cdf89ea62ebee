import type { Core } from '@strapi/strapi';
import type { z } from 'zod';
import { conflict, notFound, parseInput, service, today } from '@channelflow/sdk';
import { ORDER, ORDER_LINE } from '../uids';
import { draftInput, orderNumber, type orderPlacement, type placeInput } from './order-placement';
import { orderStateMachine } from './order-status';
import { toLineRow } from './order-rows';

type Placement = ReturnType<typeof orderPlacement>;

/**
 * Draft orders (新建草稿): lines priced as they would be today, nothing reserved. Saving a draft
 * again replaces its lines; placing it turns it into an order under the rules of placement.
 */
export function orderDrafts(strapi: Core.Strapi, parts: { detail: (orderId: number) => Promise<any>; placement: Placement }) {
  const orders = () => strapi.db.query(ORDER as any);
  const lines = () => strapi.db.query(ORDER_LINE as any);

  return {
    /** Saves a draft order; saving `draftId` again replaces its lines; `placeDraft` turns it into an order. */
    async saveDraft(draftId: number | null, raw: z.input<typeof draftInput>) {
      const input = parseInput(draftInput, raw, 'draft order');
      const dealer = await service(strapi, 'dealers', 'dealers').commercialProfile(input.dealerId);
      if (!dealer) throw notFound('Dealer', input.dealerId);
      const currency = await service(strapi, 'dealers', 'credit').currencyOf(input.dealerId);
      const pricedLines = input.lines.length ? await parts.placement.priced(dealer, { ...input, idempotencyKey: 'draft-only', allowBackorder: input.allowBackorder } as z.output<typeof placeInput>, currency) : [];
      const totalMinor = pricedLines.reduce((sum, l) => sum + l.price.lineTotalMinor, 0);
      const id = await strapi.db.transaction(async () => {
        const fields = { currency, totalMinor, lineCount: pricedLines.length, allowBackorder: input.allowBackorder, reference: input.reference ?? null, note: input.note ?? null };
        let orderId = draftId;
        if (orderId) {
          const existing = await orders().findOne({ where: { id: orderId, dealerId: input.dealerId }, select: ['id', 'orderStatus'] });
          if (!existing) throw notFound('Draft order', orderId);
          if (existing.orderStatus !== 'draft') throw conflict('This order is no longer a draft', { status: existing.orderStatus });
          // Only while it is still a draft: placed meanwhile, the order keeps its lines.
          const { count } = await orders().updateMany({ where: { id: orderId, orderStatus: 'draft' }, data: fields });
          if (!count) throw conflict('This order is no longer a draft');
          await lines().deleteMany({ where: { orderId } });
        } else {
          const number = `DR-${today().replace(/-/g, '')}-${orderNumber().slice(-8)}`;
          const { ids } = await orders().createMany({
            data: [
              {
                ...fields,
                number,
                dealerId: dealer.id,
                dealerCode: dealer.code,
                idempotencyKey: `${dealer.id}:draft:${number}`,
                requestHash: 'draft',
                placedBy: input.placedBy,
                ...orderStateMachine.initial('draft', { by: input.placedBy }),
              },
            ],
          });
          orderId = Number(ids[0]);
        }
        if (pricedLines.length) await lines().createMany({ data: pricedLines.map((l) => toLineRow(orderId!, l)) });
        return orderId!;
      });
      return parts.detail(id);
    },

    /** Places a saved draft as an order (same rules as `place`), under the caller's idempotency key. */
    async placeDraft(draftId: number, raw: { dealerId: number; idempotencyKey: string; placedBy: string }) {
      const draft = await orders().findOne({ where: { id: draftId, dealerId: raw.dealerId } });
      if (!draft) {
        // Placed before under this key: the answer is that order.
        const placed = await orders().findOne({ where: { idempotencyKey: `${raw.dealerId}:${raw.idempotencyKey}` } });
        if (placed) return { ...(await parts.detail(placed.id)), replayed: true };
        throw notFound('Draft order', draftId);
      }
      if (draft.orderStatus !== 'draft') throw conflict(`Order ${draft.number} is not a draft`, { status: draft.orderStatus });
      const draftLines: any[] = await lines().findMany({ where: { orderId: draftId }, orderBy: { lineNo: 'asc' } });
      return parts.placement.place({
        dealerId: raw.dealerId,
        idempotencyKey: raw.idempotencyKey,
        placedBy: raw.placedBy,
        draftId,
        lines: draftLines.map((l) => ({ sku: l.sku, quantity: l.quantity, quotedUnitPriceMinor: Number(l.unitPriceMinor) })),
        allowBackorder: Boolean(draft.allowBackorder),
        reference: draft.reference ?? undefined,
        note: draft.note ?? undefined,
      });
    },
  };
}
