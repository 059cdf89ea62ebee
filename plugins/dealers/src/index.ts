import { definePlugin, mergeGraphql } from '@channelflow/sdk';
import dealerSchema from './content-types/dealer/schema.json';
import portalUserSchema from './content-types/portal-user/schema.json';
import { dealerGraphql } from './graphql/dealer';
import { staffGraphql } from './graphql/staff';
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
  graphql: mergeGraphql(staffGraphql, dealerGraphql),
  permissions: {
    'dealers.read': ['channel-manager', 'sales-rep', 'finance'],
  },
  seed: seedDealers,
});
