// Compiled (never run) by public-api.spec.ts: the platform contract's types as integrators use them.
import { z } from 'zod';
import { defineOptions, definePlugin, defineStateMachine, service, type ServiceFactories } from '@channelflow/sdk';
import type { Core } from '@strapi/strapi';

declare const strapi: Core.Strapi;

// A contract, as a plug-in's contract.ts declares it.
interface StockService {
  reserve(giftId: string, quantity: number): Promise<{ reserved: boolean }>;
}
declare module '@channelflow/sdk' {
  interface PluginServices {
    gifts: { stock: StockService };
  }
}

export async function callers() {
  const { reserved }: { reserved: boolean } = await service(strapi, 'gifts', 'stock').reserve('g-1', 2);
  // @ts-expect-error a service the contract does not list
  service(strapi, 'gifts', 'wrapping');
  // @ts-expect-error a plug-in no contract declares
  service(strapi, 'no-such-plugin', 'stock');
  // @ts-expect-error arguments are typed by the contract
  await service(strapi, 'gifts', 'stock').reserve('g-1', 'two');
  return reserved;
}

const stock = (_: { strapi: Core.Strapi }): StockService => ({ reserve: async () => ({ reserved: true }) });
export const services = { stock } satisfies ServiceFactories<'gifts'>;
// @ts-expect-error a renamed service breaks the contract
export const renamed = { stocks: stock } satisfies ServiceFactories<'gifts'>;

const options = defineOptions('gifts', z.object({ maxPerDealer: z.coerce.number().default(20), wrapping: z.stringbool().default(true) }));
export function settings() {
  const { maxPerDealer, wrapping }: { maxPerDealer: number; wrapping: boolean } = options.of(strapi);
  // @ts-expect-error no such setting
  options.of(strapi).colour;
  return { maxPerDealer, wrapping };
}

const requests = defineStateMachine({
  name: 'Gift request',
  uid: 'plugin::gifts.gift-request',
  states: ['requested', 'approved', 'rejected'],
  transitions: { requested: ['approved', 'rejected'] },
});
export async function decide(row: { id: number; status: 'requested' }) {
  await requests.bind(strapi).move(row, 'approved', { by: 'finance@brand.example', note: null });
  // @ts-expect-error not one of its states
  await requests.bind(strapi).move(row, 'shipped', { by: 'x' });
  // @ts-expect-error a transition to an unknown state
  defineStateMachine({ name: 'x', uid: 'x', states: ['a', 'b'], transitions: { a: ['c'] } });
  const steps = requests.historyOf(row);
  const to: 'requested' | 'approved' | 'rejected' = steps[0]!.to;
  return to;
}

export default definePlugin({ name: 'gifts', requires: ['dealers'], options, services });
