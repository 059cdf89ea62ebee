import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type GraphqlClient, type TestEnvironment } from '@channelflow/sdk/testing';

/** Each limit: a query just inside passes, one just outside is refused with a message naming the limit. */
describe('GraphQL abuse limits', () => {
  let env: TestEnvironment;
  let staff: GraphqlClient;
  beforeAll(async () => {
    env = await createTestEnvironment();
    staff = await env.asStaff('channel-manager');
  });
  afterAll(() => env?.destroy());

  // Roles and users nest into each other without end: a clean probe for depth and cost.
  const nested = (depth: number, leaf = 'documentId') => {
    // Built from the outside in: roles hold users, users hold a role, and so on.
    const open = Array.from({ length: depth - 1 }, (_, i) => (i % 2 ? 'role {' : 'users {')).join(' ');
    return `{ usersPermissionsRoles { ${open} ${leaf} ${'} '.repeat(depth - 1)}} }`;
  };
  const validationErrors = (res: { errors?: Array<{ message: string; extensions?: { code?: string } }> }) =>
    (res.errors ?? []).filter((e) => e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED').map((e) => e.message);

  it('refuses queries deeper than 7', async () => {
    expect(validationErrors(await staff.request(nested(7)))).toEqual([]);
    const res = await staff.request(nested(8));
    expect(validationErrors(res).join()).toMatch(/exceeds maximum operation depth of 7/);
  });

  it('refuses more than 15 aliases', async () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: dealers { total }`).join(' ')} }`;
    expect((await staff.request(aliases(15))).errors).toBeUndefined();
    const res = await staff.request(aliases(16));
    expect(validationErrors(res).join()).toMatch(/aliases limit of 15 exceeded/i);
  });

  it('refuses queries costing more than 5000', async () => {
    // Cost grows 1.5x per level: 100 scalars at depth 7 cost ~1,770 per copy in ~110 tokens.
    const heavy = nested(7, 'documentId '.repeat(100)).slice(1, -1);
    const copies = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `r${i}: ${heavy}`).join(' ')} }`;
    expect(validationErrors(await staff.request(copies(2)))).toEqual([]);
    const res = await staff.request(copies(3));
    expect(validationErrors(res).join()).toMatch(/cost limit of 5000 exceeded/i);
  });

  it('refuses documents of more than 1000 tokens', async () => {
    const res = await staff.request(`{ ${'__typename '.repeat(1001)} }`);
    expect(res.errors?.[0]?.message).toMatch(/contains more (than|that) 1000 tokens/i);
    expect((await staff.request(`{ ${'__typename '.repeat(50)} }`)).errors).toBeUndefined();
  });

  it('refuses pages of more than 100 rows', async () => {
    const error = await staff.expectError('BAD_INPUT', '{ dealers(pageSize: 101) { total } }');
    expect(error.message).toMatch(/at most 100/);
    expect((await staff.request('{ dealers(pageSize: 100) { total } }')).errors).toBeUndefined();
  });

  it('refuses batched HTTP requests', async () => {
    const res = await fetch(`${env.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${staff.token}` },
      body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/batch/i);
  });
});
