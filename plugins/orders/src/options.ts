import { z } from 'zod';
import { defineOptions } from '@channelflow/sdk';
import { DEFAULT_ALLOCATION_RULE, type AllocationRule } from './services/allocation';
import { isPositiveDuration } from './services/duration';

const duration = (fallback: string, description: string) => z.string().trim().refine(isPositiveDuration, 'must be an ISO 8601 duration such as P3D or PT12H').default(fallback).describe(description);
const whole = (fallback: number, description: string, min = 0) => z.coerce.number().int('must be a whole number').min(min, `must be at least ${min}`).default(fallback).describe(description);

/** The orders plug-in's settings, from `ORDERS_*` environment variables (see the README's configuration table). */
export const ordersOptions = defineOptions(
  'orders',
  z.object({
    allocationRule: z
      .enum(['single-then-split', 'split', 'single'], { error: 'must be single-then-split, split or single' })
      .default('single-then-split')
      .describe("which warehouses an order's stock comes from: the nearest one holding the whole order, else line by line from the nearest (`split`: always line by line; `single`: a line never splits)"),
    staleAfter: duration('P3D', "a shipment with no tracking event for this long (ISO 8601 duration) raises a task for the region's channel managers"),
    fulfilmentCheckEvery: duration('PT12H', 'how often a waiting fulfilment process retries back-orders and looks for stale shipments'),
    orderCostMinor: whole(50_000, "the economic order quantity's cost of one purchase order (minor units)"),
    holdingRateBp: whole(2_000, "the economic order quantity's yearly holding cost (basis points of the unit cost)"),
    carrierWebhookPerMinute: whole(600, 'carrier webhook requests one address may send per minute', 1),
    carrierWebhookSecret: z.string().optional().describe("the shared secret of the carrier webhook's HMAC signature; unset, `POST /api/orders/carrier-events` answers 501"),
    carrierWebhookToleranceSeconds: whole(300, 'how old a signed carrier request may be (older ones are refused as replays)', 1),
  }),
);

export type OrdersOptions = ReturnType<typeof ordersOptions.of>;

/** ORDERS_ALLOCATION_RULE as the allocation it means. */
export function allocationRuleOf(name: OrdersOptions['allocationRule']): AllocationRule {
  switch (name) {
    case 'single-then-split':
      return DEFAULT_ALLOCATION_RULE;
    case 'split':
      return { singleWarehouseFirst: false, allowSplit: true };
    case 'single':
      return { singleWarehouseFirst: true, allowSplit: false };
  }
}
