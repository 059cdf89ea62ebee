import path from 'node:path';
import { appendOnly, definePlugin, mergeGraphql, type ServiceFactories } from '@channelflow/sdk';
import type {} from './contract';
import entrySchema from './content-types/entry/schema.json';
import recordSchema from './content-types/record/schema.json';
import { __nameCamel__Events, __nameCamel__Handlers } from './events';
import { dealerGraphql } from './graphql/dealer';
import { staffGraphql } from './graphql/staff';
import { summarizeRecordsJob } from './jobs/summarize-records.job';
import { migrations } from './migrations';
import { __nameCamel__Options } from './options';
import recordsService from './services/records.service';

/** __Title__: the whole surface of the plug-in on one screen. */
export default definePlugin({
  name: '__name__',
  // Booted (and seeded) after the dealers plug-in, whose typed service and events it uses.
  requires: ['dealers'],
  options: __nameCamel__Options,
  contentTypes: {
    record: { schema: recordSchema },
    entry: { schema: entrySchema, lifecycles: appendOnly('__Title__ entries') },
  },
  services: { records: recordsService } satisfies ServiceFactories<'__name__'>,
  migrations,
  jobs: [summarizeRecordsJob],
  events: __nameCamel__Events,
  on: __nameCamel__Handlers,
  graphql: mergeGraphql(staffGraphql, dealerGraphql),
  // dist/index.js → the package root, where the default templates ship.
  templates: { dir: path.join(__dirname, '..', 'templates'), names: ['__name__/record-summary'] },
  permissions: {
    '__name__.read': ['channel-manager', 'sales-rep', 'finance'],
    '__name__.write': ['channel-manager'],
    '__name__.approve': ['finance'],
  },
});
