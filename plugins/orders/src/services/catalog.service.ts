import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { paginate, parseInput } from '@channelflow/sdk';

export const PRODUCT = 'plugin::orders.product';
export const WAREHOUSE = 'plugin::orders.warehouse';

export const productFilter = z.object({
  search: z.string().trim().max(100).optional(),
  category: z.string().max(100).optional(),
  activeOnly: z.boolean().default(true),
});

export default ({ strapi }: { strapi: Core.Strapi }) => ({
  async products(raw: unknown, page: number, pageSize: number) {
    const filter = parseInput(productFilter, raw, 'product filter');
    const where: Record<string, unknown> = {};
    if (filter.activeOnly) where.active = true;
    if (filter.category) where.category = filter.category;
    if (filter.search) {
      where.$or = [{ name: { $containsi: filter.search } }, { nameZh: { $containsi: filter.search } }, { sku: { $containsi: filter.search } }];
    }
    return paginate(strapi, PRODUCT, { where, orderBy: { sku: 'asc' } }, { page, pageSize });
  },

  async warehouses() {
    return strapi.db.query(WAREHOUSE).findMany({ populate: ['region'], orderBy: { code: 'asc' } });
  },
});
