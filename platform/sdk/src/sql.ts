import type { Core } from '@strapi/strapi';

/**
 * Adds a row lock to a knex read on PostgreSQL (`SELECT … FOR UPDATE`, of `tables` when given);
 * SQLite has one writer at a time, so there the query is returned as it is.
 */
export function forUpdate<Q>(strapi: Core.Strapi, query: Q, ...tables: string[]): Q {
  if (strapi.db.dialect.client === 'sqlite') return query;
  return (query as any).forUpdate(...tables);
}
