import { afterAnyChange, appendOnly, definePlugin, mergeGraphql, service, type ServiceFactories } from '@channelflow/sdk';
import productSchema from './content-types/product/schema.json';
import warehouseSchema from './content-types/warehouse/schema.json';
import priceRuleSchema from './content-types/price-rule/schema.json';
import stockLevelSchema from './content-types/stock-level/schema.json';
import stockMovementSchema from './content-types/stock-movement/schema.json';
import orderSchema from './content-types/order/schema.json';
import orderLineSchema from './content-types/order-line/schema.json';
import shipmentSchema from './content-types/shipment/schema.json';
import shipmentEventSchema from './content-types/shipment-event/schema.json';
import invoiceSchema from './content-types/invoice/schema.json';
import invoiceLineSchema from './content-types/invoice-line/schema.json';
import paymentSchema from './content-types/payment/schema.json';
import returnRequestSchema from './content-types/return-request/schema.json';
import { dealerGraphql } from './graphql/dealer';
import { staffGraphql } from './graphql/staff';
import { shipmentsGraphql } from './graphql/shipments';
import { billingGraphql } from './graphql/billing';
import { returnsGraphql } from './graphql/returns';
import { reportsGraphql } from './graphql/reports';
import { approveReturnJob } from './jobs/approve-return.job';
import { rejectReturnJob } from './jobs/reject-return.job';
import { creditReturnJob } from './jobs/credit-return.job';
import { carrierEvents } from './http/carrier-events';
import { ordersEvents } from './events';
import { allocateShipmentsJob } from './jobs/allocate-shipments.job';
import { invoiceDeliveredJob } from './jobs/invoice-delivered.job';
import { findStaleShipmentsJob } from './jobs/find-stale-shipments.job';
import { startFulfilmentJob } from './jobs/start-fulfilment.job';
import { sendOrderDecisionJob } from './jobs/send-order-decision.job';
import { approveOverLimitJob } from './jobs/approve-over-limit.job';
import { rejectOrderJob } from './jobs/reject-order.job';
import { seedCatalog } from './seed';
import catalogService from './services/catalog.service';
import stockService from './services/stock.service';
import ordersService from './services/orders.service';
import shipmentsService from './services/shipments.service';
import billingService from './services/billing.service';
import returnsService from './services/returns.service';
import reportsService from './services/reports.service';
import { ordersMigrations } from './migrations';
import { ordersOptions } from './options';

/**
 * Orders remember warehouses, products and price rules for a few seconds; any change to them here
 * (GraphQL, admin panel, seed) makes this instance read them again at once.
 */
const forgetting = (what: 'forgetWarehouses' | 'forgetPricing') => afterAnyChange((strapi) => service(strapi, 'orders', 'catalog')[what]());

const STOCK_OPERATIONS = 'stock moves with receiveStock, transferStock and receiveTransfer, or recordStockTake for a count, which book the movement and the level together';

/** Catalog with tier prices, multi-level stock, and dealer orders reserving stock and credit together. */
export default definePlugin({
  name: 'orders',
  requires: ['dealers'],
  // ORDERS_* settings; a bad one (e.g. a mistyped ORDERS_ALLOCATION_RULE) stops the start, not an order.
  options: ordersOptions,
  contentTypes: {
    product: { schema: productSchema, lifecycles: forgetting('forgetPricing') },
    warehouse: { schema: warehouseSchema, lifecycles: forgetting('forgetWarehouses') },
    'price-rule': { schema: priceRuleSchema, lifecycles: forgetting('forgetPricing') },
    // Quantities follow the movements; only the safety stock is a setting (also setSafetyStock).
    'stock-level': {
      schema: stockLevelSchema,
      adminReadOnly: { fields: ['productId', 'warehouseId', 'sku', 'warehouseCode', 'onHand', 'reserved', 'inTransit'], use: STOCK_OPERATIONS },
    },
    // Stock moves only by appending movements, also in the admin panel: a correction is a stock-take.
    'stock-movement': { schema: stockMovementSchema, lifecycles: appendOnly('Stock movements'), adminReadOnly: { fields: 'all', use: STOCK_OPERATIONS } },
    order: { schema: orderSchema },
    'order-line': { schema: orderLineSchema },
    shipment: { schema: shipmentSchema },
    'shipment-event': {
      schema: shipmentEventSchema,
      lifecycles: appendOnly('Tracking events'),
      adminReadOnly: { fields: 'all', use: 'tracking events come from the carrier webhook, dispatchShipment or recordShipmentEvent' },
    },
    invoice: { schema: invoiceSchema },
    'invoice-line': { schema: invoiceLineSchema },
    payment: { schema: paymentSchema, adminReadOnly: { fields: 'all', use: 'postPayment or importPayments posts a payment to the invoice and the credit ledger together' } },
    'return-request': { schema: returnRequestSchema },
  },
  services: { catalog: catalogService, stock: stockService, orders: ordersService, shipments: shipmentsService, billing: billingService, returns: returnsService, reports: reportsService } satisfies ServiceFactories<'orders'>,
  jobs: [approveOverLimitJob, rejectOrderJob, startFulfilmentJob, sendOrderDecisionJob, allocateShipmentsJob, invoiceDeliveredJob, findStaleShipmentsJob, approveReturnJob, rejectReturnJob, creditReturnJob],
  graphql: ({ strapi }) => mergeGraphql(staffGraphql, dealerGraphql, shipmentsGraphql(strapi), billingGraphql(strapi), returnsGraphql, reportsGraphql),
  http: [carrierEvents],
  migrations: ordersMigrations,
  templates: { names: ['orders/order-decision'] },
  permissions: {
    'orders.read-catalog': ['channel-manager', 'sales-rep', 'finance', 'director'],
    'orders.read-stock': ['channel-manager', 'sales-rep', 'director'],
    'orders.read': ['channel-manager', 'sales-rep', 'finance', 'director'],
    'orders.manage-stock': ['channel-manager'],
    'orders.manage-prices': ['channel-manager', 'director'],
    'orders.manage-fulfilment': ['channel-manager'],
    'orders.read-invoices': ['channel-manager', 'sales-rep', 'finance', 'director'],
    'orders.post-payments': ['finance'],
    // Sales reps see the figures of the dealers they reach only.
    'orders.read-reports': ['channel-manager', 'sales-rep', 'finance', 'director'],
  },
  events: ordersEvents,
  seed: seedCatalog,
});
