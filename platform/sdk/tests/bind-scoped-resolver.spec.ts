import { describe, expect, it } from 'vitest';
import { bindScopedResolver, dealerScope, PlatformRegistry, publicScope, staffScope, type ScopedResolver } from '../src';

// Strapi stand-in: users with roles, dealer memberships, and a container holding a real registry.
const USERS: Record<number, { role: string; blocked?: boolean }> = {
  1: { role: 'sales-rep' },
  2: { role: 'finance' },
  3: { role: 'platform-admin' },
  4: { role: 'dealer' },
  5: { role: 'dealer' },
  6: { role: 'dealer' },
  7: { role: 'sales-rep', blocked: true },
};
const MEMBERSHIPS: Record<number, { role: string }> = { 4: { role: 'owner' }, 5: { role: 'viewer' } };

const roles = ['platform-admin', 'sales-rep', 'finance'].map((type) => ({ type, name: type }));
// The tenant is the real contract; only its dealer lookup answers from the table above.
const tenant = {
  resolveUser: async (_strapi: unknown, userId: number) =>
    (MEMBERSHIPS[userId] && { dealer: { id: 90 + userId, documentId: `d${userId}`, code: `D${userId}`, name: `Dealer ${userId}`, status: 'active' }, role: MEMBERSHIPS[userId]!.role }) as any,
  linkUser: async () => undefined,
  createTenant: async () => {
    throw new Error('not used here');
  },
};

function fakeStrapi({ withTenant = true } = {}) {
  const registry = new PlatformRegistry();
  registry.addPlugin({ name: 'gifts', jobs: [], templates: [], seedAfter: [], permissions: { 'gifts.read': ['sales-rep'] }, tenant: withTenant ? tenant : undefined });
  registry.addPlugin({ name: 'platform', jobs: [], templates: [], seedAfter: [], permissions: {}, roles });
  registry.checkPermissionRoles();
  return {
    has: () => true,
    get: () => registry,
    db: {
      query: () => ({
        findOne: async ({ where }: { where: { id: number } }) => {
          const u = USERS[where.id];
          return u && { id: where.id, blocked: !!u.blocked, role: { type: u.role, name: u.role } };
        },
      }),
    },
  } as any;
}

type Caller = { user: number } | { token: 'full-access' | 'read-only' | 'custom' } | 'anonymous';
const context = (caller: Caller) => {
  if (caller === 'anonymous') return { state: {} };
  if ('user' in caller) return { state: { auth: { strategy: { name: 'users-permissions' }, credentials: {} }, user: { id: caller.user } } };
  return { state: { auth: { strategy: { name: 'content-api-token' }, credentials: { id: 1, name: 'erp', type: caller.token } } } };
};
const info = (operation: 'query' | 'mutation') => ({ operation: { operation } }) as any;

const staff = staffScope('gifts.read', (_a, ctx) => `staff:${ctx.actor.kind}`);
const ownersOnly = dealerScope({ roles: ['owner', 'finance'] }, (_a, ctx) => `dealer:${ctx.dealer.code}`);
const anyone = publicScope((_a, ctx) => `public:${ctx.user ? ctx.user.id : 'anonymous'}`);

const cases: Array<[string, ScopedResolver, Caller, 'query' | 'mutation', string]> = [
  ['anonymous → staff', staff, 'anonymous', 'query', 'UNAUTHENTICATED'],
  ['sales rep holding gifts.read → staff', staff, { user: 1 }, 'query', 'staff:user'],
  ['finance without gifts.read → staff', staff, { user: 2 }, 'query', 'FORBIDDEN'],
  ['platform admin → staff', staff, { user: 3 }, 'query', 'staff:user'],
  ['dealer portal user → staff', staff, { user: 4 }, 'query', 'FORBIDDEN'],
  ['blocked user → staff', staff, { user: 7 }, 'query', 'UNAUTHENTICATED'],
  ['full-access token, mutation → staff', staff, { token: 'full-access' }, 'mutation', 'staff:api-token'],
  ['read-only token, query → staff', staff, { token: 'read-only' }, 'query', 'staff:api-token'],
  ['read-only token, mutation → staff', staff, { token: 'read-only' }, 'mutation', 'FORBIDDEN'],
  ['custom token → staff', staff, { token: 'custom' }, 'query', 'FORBIDDEN'],
  ['dealer owner → owners-only dealer scope', ownersOnly, { user: 4 }, 'query', 'dealer:D4'],
  ['dealer viewer → owners-only dealer scope', ownersOnly, { user: 5 }, 'query', 'FORBIDDEN'],
  ['unlinked portal user → dealer scope', ownersOnly, { user: 6 }, 'query', 'FORBIDDEN'],
  ['staff user → dealer scope', ownersOnly, { user: 1 }, 'query', 'FORBIDDEN'],
  ['API token → dealer scope', ownersOnly, { token: 'full-access' }, 'query', 'UNAUTHENTICATED'],
  ['anonymous → public scope', anyone, 'anonymous', 'mutation', 'public:anonymous'],
  ['signed-in user → public scope', anyone, { user: 4 }, 'mutation', 'public:4'],
];

describe('bindScopedResolver', () => {
  it.each(cases)('%s: %s', async (_name, scoped, caller, operation, expected) => {
    const resolve = bindScopedResolver(fakeStrapi(), 'Query.probe', scoped);
    const outcome = await resolve(null, {}, context(caller) as any, info(operation)).then(
      (value) => value,
      (error) => error.code,
    );
    expect(outcome).toBe(expected);
  });

  it('fails a dealer-scoped operation clearly when no plug-in provides the tenant', async () => {
    const resolve = bindScopedResolver(fakeStrapi({ withTenant: false }), 'Query.probe', ownersOnly);
    await expect(resolve(null, {}, context({ user: 4 }) as any, info('query'))).rejects.toMatchObject({
      code: 'NOT_SUPPORTED',
      message: expect.stringMatching(/No plug-in provides the dealer tenant/),
    });
  });

  it('answers staff-only to a users-permissions role nobody declared', async () => {
    const resolve = bindScopedResolver(fakeStrapi(), 'Query.probe', staff);
    USERS[8] = { role: 'janitor' };
    await expect(resolve(null, {}, context({ user: 8 }) as any, info('query'))).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/for staff only/) });
  });
});
