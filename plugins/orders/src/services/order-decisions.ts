import type { Core } from '@strapi/strapi';
import { ChannelflowError, notFound, notifications, service } from '@channelflow/sdk';
import { ORDER } from '../uids';
import { creditDecisionOf, DECISION_LETTER_SENT, orderStateMachine, type OrderStatus } from './order-status';

type Trx = any;

/**
 * Finance's decision on an order over the credit limit (orders-approval): approve it beyond the
 * limit or reject it, and the letter telling the dealer. One decision wins: a second one, or a
 * decision racing the dealer's cancellation, is a CONFLICT; repeating the same decision (a retried
 * job) changes nothing.
 */
export function orderDecisions(strapi: Core.Strapi, parts: { releaseHolds: (trx: Trx, order: any, actor: string) => Promise<void> }) {
  const orders = () => strapi.db.query(ORDER as any);
  const machine = orderStateMachine.bind(strapi);

  /** The order while it waits for the decision; the order as it is when `to` was decided already; else a CONFLICT. */
  async function awaitingDecision(orderId: number, to: OrderStatus): Promise<{ order: any; decided: boolean }> {
    const order = await orders().findOne({ where: { id: orderId } });
    if (!order) throw notFound('Order', orderId);
    if (order.orderStatus === 'pending_approval') return { order, decided: false };
    const decision = creditDecisionOf(orderStateMachine.historyOf(order));
    if (decision?.to === to) return { order, decided: true };
    throw new ChannelflowError('CONFLICT', `Order ${order.number} is ${order.orderStatus.replace(/_/g, ' ')}${decision ? ` (${decision.by} decided first)` : ''}; it no longer waits for a credit decision`, { status: order.orderStatus });
  }

  return {
    /** Finance approved an order over the credit limit: the credit is reserved beyond it. */
    async approveOverLimit(orderId: number, approvedBy: string) {
      return strapi.db.transaction(async () => {
        const { order, decided } = await awaitingDecision(orderId, 'submitted');
        if (decided) return order; // a retried job
        const reservationKey = `order:${order.number}`;
        await service(strapi, 'dealers', 'credit').reserve({ dealerId: order.dealerId, amountCents: Number(order.totalMinor), idempotencyKey: reservationKey, reference: order.number, actor: approvedBy, overLimitApprovedBy: approvedBy });
        return machine.move(order, 'submitted', { by: approvedBy, note: 'credit over the limit approved', action: 'credit approved over the limit', data: { creditReservationKey: reservationKey } });
      });
    },

    /** Finance refused an order over the limit: it is cancelled and its stock released. */
    async rejectOverLimit(orderId: number, rejectedBy: string, note: string | null) {
      return strapi.db.transaction(async ({ trx }: { trx: Trx }) => {
        const { order, decided } = await awaitingDecision(orderId, 'cancelled');
        if (decided) return order; // a retried job, or the dealer cancelled first
        await parts.releaseHolds(trx, order, rejectedBy);
        return machine.move(order, 'cancelled', { by: rejectedBy, note: note ? `credit refused: ${note}` : 'credit refused', action: 'credit refused' });
      });
    },

    /** The letter on finance's decision, to the order's placer and the dealer's owners; once per decision. */
    async sendDecisionLetter(orderId: number, note: string | null) {
      const order = await orders().findOne({ where: { id: orderId } });
      if (!order) throw notFound('Order', orderId);
      const history = orderStateMachine.historyOf(order);
      const decided = creditDecisionOf(history);
      if (!decided || history.some((h) => h.action === DECISION_LETTER_SENT || h.note === DECISION_LETTER_SENT)) return { sent: 0 };
      const dealer = await service(strapi, 'dealers', 'dealers').commercialProfile(order.dealerId);
      const owners = (await service(strapi, 'dealers', 'portal-users').usersOf(order.dealerId)).filter((u: any) => u.role === 'owner');
      const recipients = [...new Set([order.placedBy, ...owners.map((u: any) => u.email)].filter((e: string) => e?.includes('@')))];
      for (const to of recipients) {
        await notifications(strapi).sendEmail({
          to,
          template: 'orders/order-decision',
          data: {
            dealerName: dealer?.name,
            dealerCode: order.dealerCode,
            orderNumber: order.number,
            approved: decided.to !== 'cancelled',
            currency: order.currency,
            totalMinor: Number(order.totalMinor),
            creditShortfallMinor: Number(order.creditShortfallMinor ?? 0),
            note,
          },
        });
      }
      // Recorded beside the decision (the status stays), so a retried job sends nothing twice.
      await machine.record(order, { by: 'process', action: DECISION_LETTER_SENT, note: DECISION_LETTER_SENT });
      return { sent: recipients.length };
    },
  };
}
