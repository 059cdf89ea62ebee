import { renameColumns, type MigrationDefinition } from '@channelflow/sdk';

/**
 * Indexes Strapi's schema sync does not make. `if not exists`: installations that started before
 * these were migrations already have them from the old bootstrap, and upgrade by recording them.
 */
export const dealersMigrations: MigrationDefinition[] = [
  {
    // Every credit question reads one dealer's entries; a release looks for its reservation's.
    name: '001-credit-entry-indexes',
    up: async (knex) => {
      await knex.raw('create index if not exists dealer_credit_entries_dealer_kind on dealer_credit_entries (dealer_id, kind)');
      await knex.raw('create index if not exists dealer_credit_entries_reservation on dealer_credit_entries (reservation_key)');
    },
  },
  {
    // One application under review per tax id, also when two arrive at once.
    name: '002-one-open-application-per-tax-id',
    up: (knex) => knex.raw("create unique index if not exists dealer_applications_one_open on dealer_applications (tax_id) where review_status in ('in_review', 'needs_info')"),
  },
  {
    // One open credit-limit request per dealer, enforced by the database: two concurrent requests cannot both open.
    name: '003-one-open-credit-change-per-dealer',
    up: (knex) => knex.raw("create unique index if not exists dealer_credit_change_requests_one_open on dealer_credit_change_requests (dealer_id) where review_status = 'in_review'"),
  },
  // Strapi 5 reserves `status` (draft & publish): the admin panel showed it blank and refused to save.
  renameColumns('004-status-attributes-renamed', [
    { table: 'dealers', from: 'status', to: 'lifecycle_status' },
    { table: 'dealer_applications', from: 'status', to: 'review_status' },
    { table: 'dealer_credit_change_requests', from: 'status', to: 'review_status' },
    { table: 'dealer_service_records', from: 'status', to: 'case_status' },
  ]),
];
