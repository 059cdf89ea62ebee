/** Content-type UIDs of the orders plug-in, in one place so services can name each other's tables without importing each other. */
export const PRODUCT = 'plugin::orders.product';
export const WAREHOUSE = 'plugin::orders.warehouse';
export const PRICE_RULE = 'plugin::orders.price-rule';
export const STOCK_LEVEL = 'plugin::orders.stock-level';
export const STOCK_MOVEMENT = 'plugin::orders.stock-movement';
export const ORDER = 'plugin::orders.order';
export const ORDER_LINE = 'plugin::orders.order-line';
export const SHIPMENT = 'plugin::orders.shipment';
export const SHIPMENT_EVENT = 'plugin::orders.shipment-event';
export const INVOICE = 'plugin::orders.invoice';
export const INVOICE_LINE = 'plugin::orders.invoice-line';
export const PAYMENT = 'plugin::orders.payment';
export const RETURN_REQUEST = 'plugin::orders.return-request';
