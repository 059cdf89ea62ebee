import { z } from 'zod';
import type { Core } from '@strapi/strapi';
import { isChannelflowError, service } from '@channelflow/sdk';

/** What every orders job gets: the order it works on. */
export const orderId = z.number().int().positive();

export const ordersService = (strapi: Core.Strapi) => service(strapi, 'orders', 'orders');

/**
 * A credit decision the order no longer waits for (another decision, or the dealer's cancellation,
 * came first) is a CONFLICT for the service; the process goes on with the order as it is, as it
 * would after the dealer cancelled.
 */
export async function decidedMeanwhile(strapi: Core.Strapi, orderId: number, error: unknown): Promise<{ status: string }> {
  if (!isChannelflowError(error) || error.code !== 'CONFLICT') throw error;
  const order = await ordersService(strapi).detail(orderId);
  if (!order || order.status === 'pending_approval') throw error;
  return { status: order.status };
}
