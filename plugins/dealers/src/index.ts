import { definePlugin } from '@channelflow/sdk';
import dealerSchema from './content-types/dealer/schema.json';
import portalUserSchema from './content-types/portal-user/schema.json';
import { dealersGraphql } from './graphql/dealers.graphql';
import { seedDealers } from './seed';
import dealersService from './services/dealers.service';
import portalUsersService from './services/portal-users.service';

/** Dealer records and portal accounts: the tenant every dealer-scoped operation resolves. */
export default definePlugin({
  name: 'dealers',
  contentTypes: {
    dealer: { schema: dealerSchema },
    'portal-user': { schema: portalUserSchema },
  },
  services: {
    dealers: dealersService,
    'portal-users': portalUsersService,
  },
  graphql: dealersGraphql,
  permissions: {
    'dealers.read': ['channel-manager', 'sales-rep', 'finance'],
  },
  seed: seedDealers,
});
