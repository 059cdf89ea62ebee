import { z } from 'zod';
import { ChannelflowError, isChannelflowError, isoDateTime, parseInput, rateLimit, rawBody, type HttpRoute, service } from '@channelflow/sdk';
import { verifyCarrierSignature } from '../services/carrier-signature';
import { ordersOptions } from '../options';

const payload = z.object({
  events: z
    .array(
      z.object({
        eventId: z.string().trim().min(1).max(200),
        trackingNumber: z.string().trim().min(3).max(100),
        kind: z.enum(['shipped', 'in_transit', 'out_for_delivery', 'delivered', 'exception']),
        occurredAt: isoDateTime,
        location: z.string().trim().max(200).optional(),
        note: z.string().trim().max(2000).optional(),
      }),
    )
    .min(1)
    .max(500),
});

/**
 * POST /api/orders/carrier-events: a 3PL's tracking events, signed with the shared secret
 * ORDERS_CARRIER_WEBHOOK_SECRET (header X-Carrier-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">).
 * A request older than ORDERS_CARRIER_WEBHOOK_TOLERANCE_SECONDS (300) is refused, and an event id seen
 * before is acknowledged without effect, so replaying a captured request changes nothing.
 */
export const carrierEvents: HttpRoute = {
  method: 'POST',
  path: '/carrier-events',
  scope: 'public',
  handler: async (ctx, { strapi, clientIp }) => {
    const options = ordersOptions.of(strapi);
    rateLimit(`orders.carrier-events:${clientIp}`, { limit: options.carrierWebhookPerMinute, windowMs: 60_000 });
    const secret = options.carrierWebhookSecret;
    if (!secret) throw new ChannelflowError('NOT_SUPPORTED', 'The carrier webhook is not configured on this platform (ORDERS_CARRIER_WEBHOOK_SECRET)');
    const verdict = verifyCarrierSignature({
      secret,
      header: ctx.get('x-carrier-signature'),
      rawBody: rawBody(ctx),
      nowSeconds: Math.floor(Date.now() / 1000),
      toleranceSeconds: options.carrierWebhookToleranceSeconds,
    });
    if (!verdict.ok) throw new ChannelflowError('UNAUTHENTICATED', `Carrier signature refused: ${verdict.reason.toLowerCase().replace(/_/g, ' ')}`, { reason: verdict.reason });
    const { events } = parseInput(payload, (ctx.request as { body?: unknown }).body, 'carrier events');
    const shipments = service(strapi, 'orders', 'shipments');
    const results = [];
    for (const event of events) {
      try {
        const recorded = await shipments.recordEvent({ trackingNumber: event.trackingNumber }, { ...event, source: 'carrier', recordedBy: 'carrier-webhook' });
        results.push({ eventId: event.eventId, status: recorded.replayed ? 'duplicate' : 'recorded', shipmentStatus: recorded.status });
      } catch (error) {
        if (!isChannelflowError(error)) throw error;
        // One unknown tracking number does not make the carrier resend the others.
        results.push({ eventId: event.eventId, status: 'refused', code: error.code, message: error.message });
      }
    }
    return { results };
  },
};
