import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { ChannelflowError, isoDate, notFound, paginate, parseInput, today, service } from '@channelflow/sdk';
import { PRICE_RULE, PRODUCT, WAREHOUSE } from '../uids';
import { servingOrder } from './allocation';
import { resolvePrice, type PriceRule } from './pricing';


export const productFilter = z.object({
  search: z.string().trim().max(100).optional(),
  category: z.string().max(100).optional(),
  activeOnly: z.boolean().default(true),
});

const priceRuleInput = z
  .object({
    sku: z.string().trim().min(1).max(64),
    kind: z.enum(['tier_price', 'quantity_break']),
    tier: z.string().trim().min(1).max(40).nullish(),
    unitPriceMinor: z.number().int('prices are integer minor units').min(0).max(1e13).nullish(),
    minQuantity: z.number().int().min(1).max(1_000_000).nullish(),
    discountBasisPoints: z.number().int().min(1, 'a discount of at least 0.01%').max(9_999, 'below 100%').nullish(),
    validFrom: isoDate.nullish(),
    validTo: isoDate.nullish(),
    note: z.string().trim().max(200).nullish(),
  })
  .refine((r) => r.kind !== 'tier_price' || (r.tier && r.unitPriceMinor != null), { message: 'a tier price names the tier and the unit price', path: ['unitPriceMinor'] })
  .refine((r) => r.kind !== 'tier_price' || (r.minQuantity == null && r.discountBasisPoints == null), { message: 'a tier price has no quantity or discount', path: ['minQuantity'] })
  .refine((r) => r.kind !== 'quantity_break' || (r.minQuantity != null && r.discountBasisPoints != null && r.unitPriceMinor == null), {
    message: 'a quantity break has a minimum quantity and a discount, no unit price',
    path: ['discountBasisPoints'],
  })
  .refine((r) => !r.validFrom || !r.validTo || r.validFrom <= r.validTo, { message: 'validFrom must not be after validTo', path: ['validTo'] });

const WAREHOUSE_CACHE_MS = 10_000;
const CATALOG_CACHE_MS = 10_000;
type CachedWarehouse = { id: number; code: string; name: string; level: string; regionId: number | null };

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const rules = () => strapi.db.query(PRICE_RULE as any);
  let warehouseCache: { until: number; list: CachedWarehouse[] } | null = null;
  const pricingCache = new Map<string, { until: number; product: any; rules: PriceRule[] }>();

  const self = {
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

    /**
     * The warehouses that ship to a dealer of `regionId`, nearest first. The list is remembered for
     * WAREHOUSE_CACHE_MS (every order asks; warehouses change a few times a year) and forgotten on
     * any change to a warehouse on this instance (lifecycles), so only other instances can lag, by that long.
     */
    async servingWarehouses(regionId: number | null) {
      if (!warehouseCache || warehouseCache.until < Date.now()) {
        const all: any[] = await strapi.db.query(WAREHOUSE).findMany({ select: ['id', 'code', 'name', 'level'], populate: { region: { select: ['id'] } } });
        warehouseCache = { until: Date.now() + WAREHOUSE_CACHE_MS, list: all.map((w) => ({ id: w.id, code: w.code, name: w.name, level: w.level, regionId: w.region?.id ?? null })) };
      }
      return servingOrder(warehouseCache.list, regionId);
    },

    forgetWarehouses() {
      warehouseCache = null;
    },

    /**
     * Products by SKU with their price rules, for pricing an order. Remembered per SKU for
     * CATALOG_CACHE_MS and forgotten on any product or price-rule change on this instance
     * (lifecycles), so another instance prices with rules at most that old.
     */
    async pricingFor(skus: string[]): Promise<{ products: Map<string, any>; rules: Map<number, PriceRule[]> }> {
      const now = Date.now();
      const missing = skus.filter((sku) => !((pricingCache.get(sku)?.until ?? 0) > now));
      if (missing.length) {
        const found: any[] = await strapi.db.query(PRODUCT).findMany({ where: { sku: { $in: missing } } });
        const ruleMap = await self.priceRules(found.map((p) => p.id));
        for (const sku of missing) {
          const product = found.find((p) => p.sku === sku) ?? null;
          pricingCache.set(sku, { until: now + CATALOG_CACHE_MS, product, rules: product ? (ruleMap.get(product.id) ?? []) : [] });
        }
      }
      const products = new Map<string, any>();
      const rules = new Map<number, PriceRule[]>();
      for (const sku of skus) {
        const entry = pricingCache.get(sku);
        if (!entry?.product) continue;
        products.set(sku, entry.product);
        rules.set(entry.product.id, entry.rules);
      }
      return { products, rules };
    },

    forgetPricing() {
      pricingCache.clear();
    },

    /** Price rules per product id. */
    async priceRules(productIds: number[]): Promise<Map<number, PriceRule[]>> {
      const byProduct = new Map<number, PriceRule[]>();
      if (!productIds.length) return byProduct;
      for (const r of await rules().findMany({ where: { productId: { $in: productIds } }, orderBy: { id: 'asc' } })) {
        byProduct.set(r.productId, [...(byProduct.get(r.productId) ?? []), toRule(r)]);
      }
      return byProduct;
    },

    /**
     * The catalog as one dealer sees it: its unit price today (tier price, for one unit), the quantity
     * breaks it can reach, and what the warehouses serving its region have available.
     */
    async dealerCatalog(dealerId: number, raw: unknown, page: number, pageSize: number) {
      const dealer = await service(strapi, 'dealers', 'dealers').commercialProfile(dealerId);
      if (!dealer) throw notFound('Dealer', dealerId);
      const result = await self.products({ ...(raw as object), activeOnly: true }, page, pageSize);
      const ids = result.nodes.map((p: any) => p.id);
      const [ruleMap, warehouses] = await Promise.all([self.priceRules(ids), self.servingWarehouses(dealer.regionId)]);
      const levels = ids.length && warehouses.length ? await service(strapi, 'orders', 'stock').levels({ productIds: ids, warehouseIds: warehouses.map((w) => w.id) }) : [];
      const day = today();
      return {
        ...result,
        nodes: result.nodes.map((p: any) => {
          const productRules = ruleMap.get(p.id) ?? [];
          const unit = resolvePrice(Number(p.basePriceMinor), productRules, { tier: dealer.tier, quantity: 1, day });
          const breaks = [...new Set(productRules.filter((r) => r.kind === 'quantity_break' && (r.tier === null || r.tier === dealer.tier)).map((r) => r.minQuantity ?? 1))]
            .sort((a, b) => a - b)
            .map((minQuantity) => ({ minQuantity, ...resolvePrice(Number(p.basePriceMinor), productRules, { tier: dealer.tier, quantity: minQuantity, day }) }))
            // Only breaks valid today that change the price: an expired or superseded one is not an offer.
            .filter((price, i, all) => price.discountBasisPoints > 0 && (i === 0 || price.discountBasisPoints !== all[i - 1]!.discountBasisPoints))
            .map((price) => ({ minQuantity: price.minQuantity, discountBasisPoints: price.discountBasisPoints, unitPriceMinor: price.unitPriceMinor }));
          const availability = warehouses
            .map((w) => ({ warehouseCode: w.code, warehouseName: w.name, available: Math.max(0, levels.find((l: any) => l.productId === p.id && l.warehouseId === w.id)?.available ?? 0) }))
            .filter((a) => a.available > 0);
          return { ...p, unitPriceMinor: unit.unitPriceMinor, quantityBreaks: breaks, availability, available: availability.reduce((sum, a) => sum + a.available, 0) };
        }),
      };
    },

    /** Adds a tier price or a quantity break for a product. */
    async addPriceRule(raw: z.input<typeof priceRuleInput>) {
      const input = parseInput(priceRuleInput, raw, 'price rule');
      const product = await strapi.db.query(PRODUCT).findOne({ where: { sku: input.sku }, select: ['id', 'sku'] });
      if (!product) throw new ChannelflowError('BAD_INPUT', `There is no product with SKU ${input.sku}`, { issues: [{ path: 'sku', message: 'unknown SKU' }] });
      if (input.tier) await service(strapi, 'dealers', 'classifications').requireTier(input.tier);
      const created = await rules().create({
        data: {
          productId: product.id,
          sku: product.sku,
          kind: input.kind,
          tier: input.tier ?? null,
          unitPriceMinor: input.unitPriceMinor ?? null,
          minQuantity: input.minQuantity ?? null,
          discountBasisPoints: input.discountBasisPoints ?? null,
          validFrom: input.validFrom ?? null,
          validTo: input.validTo ?? null,
          note: input.note ?? null,
        },
      });
      return toRuleView(created);
    },

    async removePriceRule(id: number) {
      const existing = await rules().findOne({ where: { id } });
      if (!existing) throw notFound('Price rule', id);
      await rules().delete({ where: { id } });
      return toRuleView(existing);
    },

    async listPriceRules(sku: string) {
      return (await rules().findMany({ where: { sku }, orderBy: [{ kind: 'asc' }, { id: 'asc' }] })).map(toRuleView);
    },
  };
  return self;
};

function toRule(r: any): PriceRule {
  return {
    id: r.id,
    kind: r.kind,
    tier: r.tier ?? null,
    unitPriceMinor: r.unitPriceMinor === null || r.unitPriceMinor === undefined ? null : Number(r.unitPriceMinor),
    minQuantity: r.minQuantity ?? null,
    discountBasisPoints: r.discountBasisPoints ?? null,
    validFrom: r.validFrom ?? null,
    validTo: r.validTo ?? null,
  };
}

function toRuleView(r: any) {
  return { ...toRule(r), sku: r.sku, note: r.note ?? null };
}

