/**
 * The __title__ plug-in's public services, typed. Another plug-in that calls them declares
 * `requires: ['__name__']`, imports these types once (`import type {} from '@channelflow/plugin-__name__/contract'`)
 * and calls `service(strapi, '__name__', 'records')`.
 */
import type recordsService from './services/records.service';

export type RecordsService = ReturnType<typeof recordsService>;

declare module '@channelflow/sdk' {
  interface PluginServices {
    '__name__': { records: RecordsService };
  }
}
