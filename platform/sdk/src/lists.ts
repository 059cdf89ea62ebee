import type { Core } from '@strapi/strapi';
import type { StaffActor } from './graphql';
import { platformRegistry } from './registry';

/** Whose rows a list shows: one dealer, a set of dealers, or (neither) everyone's. */
export interface DealerListScope {
  dealerId?: number | null;
  dealerIds?: number[] | null;
}

/** The where clause of a list scoped to one dealer or a set of dealers; nothing when neither is given. */
export function dealerWhere(scope: DealerListScope, field = 'dealerId'): Record<string, unknown> {
  if (scope.dealerId) return { [field]: scope.dealerId };
  if (scope.dealerIds) return { [field]: { $in: scope.dealerIds } };
  return {};
}

/**
 * The scope of a staff list: the dealer named by `dealerCode` when the actor may see it (NOT_FOUND otherwise),
 * else every dealer the actor reaches (a sales rep: their team's dealers).
 */
export async function staffListScope(strapi: Core.Strapi, actor: StaffActor, dealerCode: string | null | undefined): Promise<{ dealerId: number } | { dealerIds: number[] | null }> {
  const tenant = platformRegistry(strapi).tenant();
  return dealerCode ? { dealerId: (await tenant.visibleByCode(strapi, String(dealerCode), actor)).id } : { dealerIds: await tenant.reachableIds(strapi, actor) };
}
