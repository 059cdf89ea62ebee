// Compiled (never run) by public-api.spec.ts: integrators' code must keep compiling against the published types.
import { z } from 'zod';
import { defineJob, definePlugin, dealerScope, staffScope, publicScope, BpmnError, type JobContext, type KnownStaffRole, type StaffRole } from '@channelflow/sdk';
import { createTestEnvironment, type TestEnvironment } from '@channelflow/sdk/testing';

const reserve = defineJob({
  type: 'gifts.reserve-stock',
  title: 'Gifts: reserve stock',
  description: 'Reserves gift stock for a request',
  input: z.object({ giftId: z.string(), quantity: z.number().int().positive() }),
  output: z.object({ reserved: z.boolean() }),
  handler: async ({ input, job }: JobContext<{ giftId: string; quantity: number }>) => {
    const quantity: number = input.quantity;
    if (quantity > 10) throw new BpmnError('GIFT_OUT_OF_STOCK', `only 10 left for ${job.key}`);
    return { reserved: true };
  },
});

defineJob({
  ...reserve,
  // @ts-expect-error the handler must return what the output schema describes
  handler: async () => ({ reserved: 'yes' }),
});

export default definePlugin({
  name: 'gifts',
  jobs: [reserve],
  permissions: { 'gifts.read': ['channel-manager', 'sales-rep'] },
  http: [
    {
      method: 'POST',
      path: '/delivery-events',
      scope: 'public',
      handler: async (ctx, { strapi, clientIp }) => {
        ctx.status = 202;
        return { accepted: typeof strapi.log === 'object', from: clientIp, kind: ctx.request.type };
      },
    },
  ],
  graphql: {
    typeDefs: 'extend type Query { gifts: [String!]! myGifts: [String!]! giftCatalog: [String!]! }',
    resolvers: {
      Query: {
        gifts: staffScope('gifts.read', async (_args, { actor }) => [actor.kind]),
        myGifts: dealerScope({ roles: ['owner', 'buyer'] }, async (_args, { dealer, dealerRole }) => [dealer.code, dealerRole]),
        giftCatalog: publicScope(async (_args, { clientIp }) => [clientIp]),
      },
    },
  },
});

// Roles are open: grant to the platform's five or any declared role (the start refuses undeclared ones).
definePlugin({
  name: 'training',
  roles: [{ type: 'trainer', name: 'Trainer', description: 'Runs dealer trainings' }],
  permissions: { 'training.read': ['trainer', 'sales-rep'] },
  migrations: [{ name: '001-courses-by-dealer', up: (knex) => knex.raw('create index if not exists training_courses_dealer on training_courses (dealer_id)') }],
});
export const suggested: StaffRole[] = ['director', 'trainer'];
// @ts-expect-error KnownStaffRole is the platform's five only
export const notKnown: KnownStaffRole = 'trainer';

// @ts-expect-error a migration needs a name
definePlugin({ name: 'bad-migration', migrations: [{ up: async () => undefined }] });

// @ts-expect-error a tenant provides resolveUser, linkUser and createTenant
definePlugin({ name: 'bad-tenant', tenant: { resolveUser: async () => null } });

// @ts-expect-error HTTP routes are public for now (staff routes do not exist yet)
definePlugin({ name: 'bad-http', http: [{ method: 'POST', path: '/x', scope: 'staff', handler: () => null }] });

// @ts-expect-error dealer roles are owner, buyer, finance or viewer
dealerScope({ roles: ['boss'] }, async () => null);

export async function harness(): Promise<void> {
  const env: TestEnvironment = await createTestEnvironment({ seed: 'none' });
  const dealer = await env.createDealer({ name: 'Shanghai Hengtong' });
  const client = await env.asDealer(dealer, 'buyer');
  const { myGifts } = await client.query<{ myGifts: string[] }>('{ myGifts }');
  myGifts.map((g) => g.toUpperCase());
  await env.destroy();
}

// A ledger a gifts plug-in could define: balance columns are checked in effects and guards.
import { defineLedger } from '@channelflow/sdk';
interface GiftMovement extends Record<string, unknown> {
  giftId: number;
  kind: 'receipt' | 'reservation';
  quantity: number;
  idempotencyKey: string;
}
const giftLedger = defineLedger<GiftMovement, 'on_hand' | 'reserved'>({
  entryName: 'gift movement',
  entries: 'plugin::gifts.gift-movement',
  balances: { table: 'gift_stock_levels', columns: ['on_hand', 'reserved'] },
  effect: (m) => (m.kind === 'receipt' ? { on_hand: m.quantity } : { reserved: m.quantity }),
  guards: [{ terms: { on_hand: 1, reserved: -1 } }],
  fingerprint: ['giftId', 'kind', 'quantity'],
});
defineLedger<GiftMovement, 'on_hand'>({
  ...giftLedger.options,
  balances: { table: 'gift_stock_levels', columns: ['on_hand'] },
  // @ts-expect-error an effect moves only the ledger's balance columns
  effect: () => ({ in_transit: 1 }),
  guards: [],
});
export async function reserveGift(strapi: any, movement: GiftMovement): Promise<boolean> {
  const ledger = giftLedger.bind(strapi);
  const { applied } = await ledger.transaction((trx) => ledger.post(trx, { id: movement.giftId }, movement));
  return applied;
}
