import type { GraphQLError, ValidationContext } from 'graphql';
import depthLimit from 'graphql-depth-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';

/** GraphQL Armor-like defaults; each has a refusal test in tests/graphql-limits.e2e-spec.ts. */
export const GRAPHQL_LIMITS = {
  depth: 7,
  cost: 5000,
  aliases: 15,
  tokens: 1000,
  defaultPageSize: 25,
  maxPageSize: 100,
} as const;

/**
 * Strapi lodash-merges these over its own rules array, index by index, so the depth rule
 * must stay first: it replaces Strapi's own depth rule in that slot.
 */
export function validationRules() {
  // Armor throws by default, which Apollo answers with a 500; report as a validation error instead.
  const report = { propagateOnRejection: false, onReject: [(ctx: ValidationContext | null, error: GraphQLError) => ctx?.reportError(error)] };
  return [
    depthLimit(GRAPHQL_LIMITS.depth),
    maxAliasesRule({ n: GRAPHQL_LIMITS.aliases, exposeLimits: true, ...report }),
    costLimitRule({ maxCost: GRAPHQL_LIMITS.cost, exposeLimits: true, ignoreIntrospection: true, ...report }),
  ];
}
