import { z } from 'zod';
import { defineJob } from '@channelflow/sdk';
import { orderId } from './order-job-input';

/** P3D, PT12H, P1DT6H: the ISO 8601 durations BPMN timers use, in milliseconds. */
export function durationMs(iso: string): number {
  const match = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/.exec(iso);
  if (!match || iso === 'P' || iso.endsWith('T')) throw new Error(`not an ISO 8601 duration of days, hours, minutes and seconds: ${iso}`);
  const [, d, h, m, s] = match.map((v) => Number(v ?? 0));
  return (((d! * 24 + h!) * 60 + m!) * 60 + s!) * 1000;
}

export const findStaleShipmentsJob = defineJob({
  type: 'orders.find-stale-shipments',
  title: 'Orders: find shipments with no news',
  description: 'Lists the order’s open shipments that have had no tracking event for staleAfter (an ISO duration such as P3D); pending shipments count from their allocation.',
  input: z.object({ orderId, staleAfter: z.string().refine((v) => { try { return durationMs(v) > 0; } catch { return false; } }, 'an ISO duration such as P3D') }),
  output: z.object({ staleShipments: z.array(z.object({ number: z.string(), status: z.string(), warehouseCode: z.string(), carrier: z.string().nullable(), trackingNumber: z.string().nullable(), lastEventAt: z.string() })) }),
  handler: async ({ input, strapi }) => ({ staleShipments: await strapi.plugin('orders').service('shipments').stale(input.orderId, durationMs(input.staleAfter)) }),
});
