import { z } from 'zod';
import { defineJob, service } from '@channelflow/sdk';
import { orderId } from './order-job-input';
import { durationMs, isPositiveDuration } from '../services/duration';

export { durationMs };

export const findStaleShipmentsJob = defineJob({
  type: 'orders.find-stale-shipments',
  title: 'Orders: find shipments with no news',
  description: 'Lists the order’s open shipments that have had no tracking event for staleAfter (an ISO duration such as P3D); pending shipments count from their allocation.',
  input: z.object({ orderId, staleAfter: z.string().refine(isPositiveDuration, 'an ISO duration such as P3D') }),
  output: z.object({ staleShipments: z.array(z.object({ number: z.string(), status: z.string(), warehouseCode: z.string(), carrier: z.string().nullable(), trackingNumber: z.string().nullable(), lastEventAt: z.string() })) }),
  handler: async ({ input, strapi }) => ({ staleShipments: await service(strapi, 'orders', 'shipments').stale(input.orderId, durationMs(input.staleAfter)) }),
});
