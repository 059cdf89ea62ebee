import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { actorName, dealerScope, notFound, parseArgs, staffScope, type GraphqlExtension, service } from '@channelflow/sdk';

const shipmentNumber = z.string().trim().min(1).max(60);

/** Shipments and their tracking, for staff (who record them) and for the dealer (who follows them). */
/** A function of the Strapi instance: its field resolvers (run after the root resolver's scope check) need it. */
export const shipmentsGraphql = (strapi: Core.Strapi): GraphqlExtension => ({
  typeDefs: /* GraphQL */ `
    enum ShipmentStatus { pending shipped in_transit delivered cancelled }
    enum TrackingEventKind { shipped in_transit out_for_delivery delivered exception }
    type ShipmentLine { sku: String! quantity: Int! }
    type TrackingEvent { kind: TrackingEventKind! occurredAt: String! location: String note: String source: String! recordedBy: String }
    type Shipment {
      number: String!
      orderNumber: String!
      warehouseCode: String!
      status: ShipmentStatus!
      lines: [ShipmentLine!]!
      carrier: String
      trackingNumber: String
      shippedAt: String
      deliveredAt: String
      lastEventAt: String
      events: [TrackingEvent!]!
    }
    type DealerTrackingEvent { kind: TrackingEventKind! occurredAt: String! location: String }
    type DealerShipment {
      number: String!
      status: ShipmentStatus!
      lines: [ShipmentLine!]!
      carrier: String
      trackingNumber: String
      shippedAt: String
      deliveredAt: String
      events: [DealerTrackingEvent!]!
    }
    extend type Order { shipments: [Shipment!]! }
    extend type DealerOrder { shipments: [DealerShipment!]! }
    extend type Query {
      "Staff: one shipment by number."
      shipment(number: String!): Shipment!
    }
    extend type Mutation {
      "Staff (orders.manage-fulfilment): a pending shipment leaves the warehouse with this carrier and tracking number; its stock leaves the shelf."
      dispatchShipment(number: String!, carrier: String!, trackingNumber: String!): Shipment!
      "Staff (orders.manage-fulfilment): record what the carrier or the warehouse said, e.g. when the carrier's webhook is not connected. The event id makes a repeat harmless."
      recordShipmentEvent(number: String!, eventId: String!, kind: TrackingEventKind!, occurredAt: String!, location: String, note: String): Shipment!
    }
  `,
  resolvers: {
    Query: {
      shipment: staffScope('orders.read', async (args, { strapi, actor }) => {
        const { number } = parseArgs(z.object({ number: shipmentNumber }), args);
        const found = await service(strapi, 'orders', 'shipments').findByNumber(number);
        const reach = await service(strapi, 'dealers', 'dealers').reachableIds(actor);
        if (!found || (reach && !reach.includes(found.dealerId))) throw notFound('Shipment', number);
        return found;
      }),
    },
    Mutation: {
      dispatchShipment: staffScope('orders.manage-fulfilment', async (args, { strapi, actor }) => {
        const { number } = parseArgs(z.object({ number: shipmentNumber }), { number: args.number });
        return service(strapi, 'orders', 'shipments').dispatch(number, { carrier: args.carrier, trackingNumber: args.trackingNumber, actor: actorName(actor) });
      }),
      recordShipmentEvent: staffScope('orders.manage-fulfilment', async (args, { strapi, actor }) => {
        const { number } = parseArgs(z.object({ number: shipmentNumber }), { number: args.number });
        return service(strapi, 'orders', 'shipments').recordEvent(
          { shipmentNumber: number },
          { eventId: args.eventId, kind: args.kind, occurredAt: args.occurredAt, location: args.location ?? undefined, note: args.note ?? undefined, source: 'staff', recordedBy: actorName(actor) },
        );
      }),
    },
    Order: {
      shipments: (order: { id: number }) => shipmentsOf(strapi, order.id),
    },
    DealerOrder: {
      shipments: async (order: { id: number }) => (await shipmentsOf(strapi, order.id)).map(toDealerShipment),
    },
  },
});

async function shipmentsOf(strapi: Core.Strapi, orderId: number) {
  return service(strapi, 'orders', 'shipments').forOrder(orderId);
}

function toDealerShipment(s: any) {
  return {
    number: s.number,
    status: s.status,
    lines: s.lines,
    carrier: s.carrier,
    trackingNumber: s.trackingNumber,
    shippedAt: s.shippedAt,
    deliveredAt: s.deliveredAt,
    events: s.events.map((e: any) => ({ kind: e.kind, occurredAt: e.occurredAt, location: e.location })),
  };
}
