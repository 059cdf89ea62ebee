import type { Core } from '@strapi/strapi';

/**
 * The public services of every plug-in, by plug-in and service name. Empty here: each plug-in's
 * `contract.ts` adds its own by declaration merging, and a consumer imports that contract's types
 * (`import type {} from '@channelflow/plugin-dealers/contract'`) to call them typed:
 *
 * ```ts
 * declare module '@channelflow/sdk' {
 *   interface PluginServices {
 *     dealers: { credit: CreditService; dealers: DealersService };
 *   }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface PluginServices {}

export type PluginName = keyof PluginServices & string;
export type ServiceName<P extends PluginName> = keyof PluginServices[P] & string;

/**
 * A plug-in's public service, typed from its contract. Throws a clear error when the plug-in is
 * not installed or has no such service (a missing `requires` shows at start, not as `undefined`).
 */
export function service<P extends PluginName, S extends ServiceName<P>>(strapi: Core.Strapi, plugin: P, name: S): PluginServices[P][S] {
  const owner = strapi.plugin(plugin);
  if (!owner) throw new Error(`plug-in "${plugin}" is not installed, so its "${name}" service cannot be used (declare it in definePlugin({ requires }))`);
  const found = owner.service(name);
  if (!found) throw new Error(`plug-in "${plugin}" has no service "${name}"`);
  return found as PluginServices[P][S];
}

/**
 * What a plug-in's `definePlugin({ services })` must be to keep its contract:
 * `services: { … } satisfies ServiceFactories<'dealers'>` makes a renamed or missing service a type error.
 */
export type ServiceFactories<P extends PluginName> = { [S in ServiceName<P>]: (ctx: { strapi: Core.Strapi }) => PluginServices[P][S] };
