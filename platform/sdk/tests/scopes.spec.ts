import { describe, expect, it } from 'vitest';
import { definePlugin, staffScope, badInputFromZod, isChannelflowError, ChannelflowError, parseInput, pageArgs } from '../src';
import { z } from 'zod';

describe('definePlugin', () => {
  it('refuses a root resolver without a scope when the schema is built', async () => {
    const uses: Array<() => unknown> = [];
    const strapi = {
      has: () => false,
      add: (_k: string, f: () => unknown) => {
        const v = f();
        strapi.get = () => v;
      },
      get: (() => undefined) as (k: string) => unknown,
      plugin: () => ({ service: () => ({ shadowCRUD: () => ({ disable() {} }), use: (f: () => unknown) => uses.push(f) }) }),
    };
    const plugin = definePlugin({
      name: 'leaky',
      graphql: { typeDefs: 'extend type Query { leak: String }', resolvers: { Query: { leak: () => 'secret' } } },
    });
    await plugin.register({ strapi: strapi as any });
    expect(() => uses[0]!()).toThrow(/Query.leak must be wrapped in staffScope, dealerScope or publicScope/);
  });

  it('refuses a name that is not kebab-case', () => {
    expect(() => definePlugin({ name: 'Gifts' })).toThrow(/kebab-case/);
  });

  it('keeps the declared permission on a staff scope', () => {
    expect(staffScope('gifts.read', () => null)).toMatchObject({ scope: 'staff', permission: 'gifts.read' });
  });
});

describe('errors', () => {
  it('turns zod issues into BAD_INPUT with field paths', () => {
    const result = z.object({ qty: z.number().positive() }).safeParse({ qty: -1 });
    const error = badInputFromZod(result.error!, 'order line');
    expect(error.code).toBe('BAD_INPUT');
    expect(error.message).toMatch(/^Invalid order line: qty:/);
    expect(error.details).toEqual({ issues: [{ path: 'qty', message: expect.any(String) }] });
  });

  it('recognises its errors across module copies by brand, not instanceof', () => {
    const foreign = Object.assign(Object.create(null), { [Symbol.for('channelflow.error')]: true });
    expect(isChannelflowError(foreign)).toBe(true);
    expect(isChannelflowError(new Error('x'))).toBe(false);
  });

  it('insists on SCREAMING_SNAKE codes', () => {
    expect(() => new ChannelflowError('creditExceeded', 'x')).toThrow(/SCREAMING_SNAKE/);
  });

  it.each([
    [{}, { page: 1, pageSize: 25 }],
    [{ page: 3, pageSize: 100 }, { page: 3, pageSize: 100 }],
  ])('page arguments %j become %j', (input, expected) => {
    expect(parseInput(pageArgs, input)).toEqual(expected);
  });

  it.each([[{ pageSize: 101 }], [{ page: 0 }], [{ page: 1.5 }]])('page arguments %j are refused', (input) => {
    expect(() => parseInput(pageArgs, input)).toThrow(/Invalid input/);
  });
});
