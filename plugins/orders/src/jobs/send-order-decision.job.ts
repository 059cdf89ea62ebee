import { z } from 'zod';
import { defineJob } from '@channelflow/sdk';
import { orderId, ordersService } from './order-job-input';

export const sendOrderDecisionJob = defineJob({
  type: 'orders.send-order-decision',
  title: 'Orders: send the credit decision on an order',
  description: "E-mails the orders/order-decision letter (approved over the limit, or not accepted) to whoever placed the order and the dealer's owners, once.",
  input: z.object({ orderId, financeNote: z.string().nullish() }),
  output: z.object({ lettersSent: z.number().int().min(0) }),
  handler: async ({ input, strapi }) => ({ lettersSent: (await ordersService(strapi).sendDecisionLetter(input.orderId, input.financeNote || null)).sent }),
});
