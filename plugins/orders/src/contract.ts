/**
 * The orders plug-in's public services, typed (see the dealers contract for how to use one).
 */
import type {} from '@channelflow/plugin-dealers/contract';
import type catalogService from './services/catalog.service';
import type stockService from './services/stock.service';
import type ordersService from './services/orders.service';
import type shipmentsService from './services/shipments.service';
import type billingService from './services/billing.service';
import type returnsService from './services/returns.service';
import type reportsService from './services/reports.service';

export type CatalogService = ReturnType<typeof catalogService>;
export type StockService = ReturnType<typeof stockService>;
export type OrdersService = ReturnType<typeof ordersService>;
export type ShipmentsService = ReturnType<typeof shipmentsService>;
export type BillingService = ReturnType<typeof billingService>;
export type ReturnsService = ReturnType<typeof returnsService>;
export type ReportsService = ReturnType<typeof reportsService>;

declare module '@channelflow/sdk' {
  interface PluginServices {
    orders: {
      catalog: CatalogService;
      stock: StockService;
      orders: OrdersService;
      shipments: ShipmentsService;
      billing: BillingService;
      returns: ReturnsService;
      reports: ReportsService;
    };
  }
}
