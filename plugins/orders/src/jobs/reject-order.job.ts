import { z } from 'zod';
import { defineJob } from '@channelflow/sdk';
import { decidedMeanwhile, orderId, ordersService } from './order-job-input';

export const rejectOrderJob = defineJob({
  type: 'orders.reject-order',
  title: 'Orders: reject an order over the limit',
  description: 'Cancels an order waiting for credit approval and releases the stock it reserved, with the finance note as the reason.',
  input: z.object({ orderId, financeApprover: z.string().nullish(), financeNote: z.string().nullish() }),
  output: z.object({ status: z.string() }),
  handler: async ({ input, strapi }) => {
    try {
      const order = await ordersService(strapi).rejectOverLimit(input.orderId, input.financeApprover || 'finance', input.financeNote || null);
      return { status: order.orderStatus };
    } catch (error) {
      return decidedMeanwhile(strapi, input.orderId, error);
    }
  },
});
