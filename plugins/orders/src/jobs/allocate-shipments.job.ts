import { z } from 'zod';
import { defineJob, service } from '@channelflow/sdk';
import { orderId } from './order-job-input';

export const allocateShipmentsJob = defineJob({
  type: 'orders.allocate-shipments',
  title: 'Orders: allocate shipments',
  description: 'Fills back-ordered units from stock that has arrived, then turns the stock the order holds into one pending shipment per warehouse. Safe to repeat.',
  input: z.object({ orderId }),
  output: z.object({ shipmentsCreated: z.number().int(), backorderedUnits: z.number().int(), orderStatus: z.string() }),
  handler: async ({ input, strapi }) => {
    const result = await service(strapi, 'orders', 'shipments').allocate(input.orderId);
    return { shipmentsCreated: result.created, backorderedUnits: result.backorderedUnits, orderStatus: result.status };
  },
});
