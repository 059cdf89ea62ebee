import { renameColumns, type MigrationDefinition } from '@channelflow/sdk';

/**
 * Indexes Strapi's schema sync does not make. `if not exists`: installations that started before
 * these were migrations already have them from the old bootstrap, and upgrade by recording them.
 */
export const ordersMigrations: MigrationDefinition[] = [
  {
    // One level per product × warehouse, so two first receipts cannot create two.
    name: '001-one-stock-level-per-product-warehouse',
    up: (knex) => knex.raw('create unique index if not exists order_stock_levels_product_warehouse on order_stock_levels (product_id, warehouse_id)'),
  },
  {
    // The foreign keys and filters of the hot paths: placing, fulfilling, invoicing, reporting.
    name: '002-lookup-indexes',
    up: async (knex) => {
      for (const statement of [
        'create index if not exists order_stock_movements_order on order_stock_movements (order_id)',
        'create index if not exists order_stock_movements_level on order_stock_movements (product_id, warehouse_id)',
        'create index if not exists order_lines_order on order_lines (order_id)',
        'create index if not exists orders_dealer_status on orders (dealer_id, order_status)',
        'create index if not exists order_price_rules_product on order_price_rules (product_id)',
        'create index if not exists order_shipments_order on order_shipments (order_id)',
        'create index if not exists order_shipments_tracking on order_shipments (tracking_number)',
        'create index if not exists order_shipment_events_shipment on order_shipment_events (shipment_id)',
        'create index if not exists order_invoices_dealer on order_invoices (dealer_id, issued_on)',
        'create index if not exists order_invoices_order on order_invoices (order_id)',
        'create index if not exists order_invoice_lines_invoice on order_invoice_lines (invoice_id)',
        'create index if not exists order_invoice_lines_issued on order_invoice_lines (issued_on)',
        'create index if not exists order_payments_invoice on order_payments (invoice_id)',
        'create index if not exists order_returns_order on order_returns (order_id)',
      ]) {
        await knex.raw(statement);
      }
    },
  },
  // Strapi 5 reserves `status` (draft & publish): the admin panel showed it blank and refused to save.
  renameColumns('003-status-attributes-renamed', [
    { table: 'orders', from: 'status', to: 'order_status' },
    { table: 'order_returns', from: 'status', to: 'return_status' },
    { table: 'order_invoices', from: 'status', to: 'payment_status' },
    { table: 'order_shipments', from: 'status', to: 'delivery_status' },
  ]),
];
