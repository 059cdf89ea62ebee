import { z } from 'zod';
import { defineJob } from '@channelflow/sdk';
import { orderId, ordersService } from './order-job-input';

export const startFulfilmentJob = defineJob({
  type: 'orders.start-fulfilment',
  title: 'Orders: start fulfilment',
  description: 'Starts the orders-fulfilment process of an order finance released; an order already in fulfilment is left as it is.',
  input: z.object({ orderId }),
  output: z.object({ orderStatus: z.string() }),
  handler: async ({ input, strapi }) => ({ orderStatus: (await ordersService(strapi).startFulfilment(input.orderId)).orderStatus }),
});
