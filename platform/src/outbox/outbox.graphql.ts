import { z } from 'zod';
import { notFound, parseInput, parsePage, staffScope, type GraphqlExtension } from '@channelflow/sdk';
import type { Knex } from 'knex';
import { dispatcherOf, effectCounters, EFFECTS, listEffects, toEffect } from './index';

/** Platform admins (platform.read-outbox / platform.retry-outbox): what the outbox still has to deliver, and what it gave up on. */
export const outboxEffectsGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    enum OutboxEffectState { pending delivered failed }
    type OutboxEffectCounters { pending: Int! failed: Int! delivered: Int! }
    type OutboxEffect {
      "The idempotency key: a second effect with the same key is a no-op."
      key: String!
      "process, message, email or event."
      kind: String!
      state: OutboxEffectState!
      attempts: Int!
      lastError: String
      createdAt: String!
      nextAttemptAt: String
      deliveredAt: String
    }
    type OutboxEffectPage { nodes: [OutboxEffect!]! total: Int! page: Int! pageSize: Int! }
    extend type Query {
      "Platform admins: effects (process starts, messages, e-mails, domain events) waiting for delivery and given up on."
      outboxEffectCounters: OutboxEffectCounters!
      "Platform admins: effects in a state (failed unless asked otherwise), newest first, with their last error."
      outboxEffects(state: OutboxEffectState, page: Int, pageSize: Int): OutboxEffectPage!
    }
    extend type Mutation {
      "Platform admins: deliver an effect that failed again now, its attempts counted afresh."
      retryOutboxEffect(key: String!): OutboxEffect!
    }
  `,
  resolvers: {
    Query: {
      outboxEffectCounters: staffScope('platform.read-outbox', async (_args, { strapi }) => effectCounters(strapi)),
      outboxEffects: staffScope('platform.read-outbox', async (args, { strapi }) => {
        const { state } = parseInput(z.object({ state: z.enum(['pending', 'delivered', 'failed']).nullish() }), { state: args.state });
        return listEffects(strapi, state ?? 'failed', parsePage(args));
      }),
    },
    Mutation: {
      retryOutboxEffect: staffScope('platform.retry-outbox', async (args, { strapi }) => {
        const { key } = parseInput(z.object({ key: z.string().min(1).max(255) }), args);
        const dispatcher = dispatcherOf(strapi);
        if (!(await dispatcher.reschedule(key))) {
          const row = await (strapi.db.connection as unknown as Knex)(EFFECTS).where({ key }).first();
          if (!row) throw notFound('Outbox effect', key);
          return toEffect(row);
        }
        await dispatcher.settle(key, 0);
        return toEffect(await (strapi.db.connection as unknown as Knex)(EFFECTS).where({ key }).first());
      }),
    },
  },
};
