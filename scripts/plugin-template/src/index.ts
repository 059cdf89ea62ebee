import path from 'node:path';
import { definePlugin, mergeGraphql } from '@channelflow/sdk';
import recordSchema from './content-types/record/schema.json';
import { dealerGraphql } from './graphql/dealer';
import { staffGraphql } from './graphql/staff';
import { summarizeRecordsJob } from './jobs/summarize-records.job';
import recordsService from './services/records.service';

/** __Title__: the whole surface of the plug-in on one screen. */
export default definePlugin({
  name: '__name__',
  contentTypes: { record: { schema: recordSchema } },
  services: { records: recordsService },
  jobs: [summarizeRecordsJob],
  graphql: mergeGraphql(staffGraphql, dealerGraphql),
  // dist/index.js → the package root, where the default templates ship.
  templates: { dir: path.join(__dirname, '..', 'templates'), names: ['__name__/record-summary'] },
  permissions: {
    '__name__.read': ['channel-manager', 'sales-rep', 'finance'],
    '__name__.write': ['channel-manager'],
  },
});
