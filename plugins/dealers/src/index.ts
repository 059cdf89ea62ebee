import { afterAnyChange, appendOnly, definePlugin, mergeGraphql, service, type ServiceFactories } from '@channelflow/sdk';
import type {} from './contract'; // this plug-in's own services, typed (service(strapi, 'dealers', …))
import dealerSchema from './content-types/dealer/schema.json';
import portalUserSchema from './content-types/portal-user/schema.json';
import creditAccountSchema from './content-types/credit-account/schema.json';
import creditEntrySchema from './content-types/credit-entry/schema.json';
import creditChangeRequestSchema from './content-types/credit-change-request/schema.json';
import statusChangeSchema from './content-types/status-change/schema.json';
import blacklistEntrySchema from './content-types/blacklist-entry/schema.json';
import invitationSchema from './content-types/invitation/schema.json';
import applicationSchema from './content-types/application/schema.json';
import serviceRecordSchema from './content-types/service-record/schema.json';
import dealerTierSchema from './content-types/dealer-tier/schema.json';
import dealerTypeSchema from './content-types/dealer-type/schema.json';
import applicationDocumentSchema from './content-types/application-document/schema.json';
import { checkApplicationJob } from './jobs/check-application.job';
import { createDealerJob } from './jobs/create-dealer.job';
import { expireApplicationJob } from './jobs/expire-application.job';
import { publishOnboardingCompletedJob } from './jobs/publish-onboarding-completed.job';
import { rejectApplicationJob } from './jobs/reject-application.job';
import { requestApplicationInfoJob } from './jobs/request-application-info.job';
import { sendApplicationLetterJob } from './jobs/send-application-letter.job';
import { applyCreditLimitJob } from './jobs/apply-credit-limit.job';
import { rejectCreditChangeJob } from './jobs/reject-credit-change.job';
import { restoreCreditLimitJob } from './jobs/restore-credit-limit.job';
import { scoreCreditJob } from './jobs/score-credit.job';
import { sendCreditDecisionJob } from './jobs/send-credit-decision.job';
import { dealerGraphql } from './graphql/dealer';
import { staffGraphql } from './graphql/staff';
import { seedDealerProcesses, seedDealers } from './seed';
import dealersService from './services/dealers.service';
import portalUsersService from './services/portal-users.service';
import creditService from './services/credit.service';
import creditChangeService from './services/credit-change.service';
import blacklistService from './services/blacklist.service';
import invitationsService from './services/invitations.service';
import applicationsService from './services/applications.service';
import serviceRecordsService from './services/service-records.service';
import classificationsService from './services/classifications.service';
import { serviceRecordsGraphql } from './graphql/service-records';
import { publicGraphql } from './graphql/public';
import applicationDocumentsService from './services/application-documents.service';
import { dealersOptions } from './options';
import { openApplicationDocument, uploadApplicationDocument } from './http/application-documents';
import { dealersMigrations } from './migrations';
import { dealersTenant } from './tenant';
import { dealersEvents } from './events';

/** Dealer records and portal accounts: the tenant every dealer-scoped operation resolves. */
export default definePlugin({
  name: 'dealers',
  options: dealersOptions,
  contentTypes: {
    // Other plug-ins' hot paths remember dealer profiles briefly; any change here forgets them.
    dealer: { schema: dealerSchema, lifecycles: afterAnyChange((strapi) => service(strapi, 'dealers', 'dealers').forgetProfiles()) },
    'portal-user': { schema: portalUserSchema },
    // Limits and balances change only through their processes and the ledger, also for the admin panel.
    'credit-account': {
      schema: creditAccountSchema,
      adminReadOnly: {
        fields: ['dealerId', 'currency', 'limitCents', 'temporaryLimitCents', 'temporaryLimitExpiresAt', 'reservedCents', 'receivableCents', 'oldestOpenDueDate'],
        use: 'a limit changes with requestDealerCreditLimitChange (decided in its process), balances with the entries postCreditEntry books',
      },
    },
    // The ledger is append-only, also for the admin panel: corrections are new entries.
    'credit-entry': {
      schema: creditEntrySchema,
      lifecycles: appendOnly('Credit ledger entries'),
      adminReadOnly: { fields: 'all', use: 'book a correcting entry with postCreditEntry, which moves the balance with it' },
    },
    'credit-change-request': { schema: creditChangeRequestSchema },
    'status-change': {
      schema: statusChangeSchema,
      lifecycles: appendOnly('Dealer status changes'),
      adminReadOnly: { fields: 'all', use: 'changeDealerStatus (or the blacklist) changes a status and records it here' },
    },
    'blacklist-entry': { schema: blacklistEntrySchema },
    invitation: { schema: invitationSchema },
    application: { schema: applicationSchema },
    'application-document': { schema: applicationDocumentSchema },
    'service-record': { schema: serviceRecordSchema },
    'dealer-tier': { schema: dealerTierSchema },
    'dealer-type': { schema: dealerTypeSchema },
  },
  services: {
    dealers: dealersService,
    'portal-users': portalUsersService,
    credit: creditService,
    'credit-change': creditChangeService,
    blacklist: blacklistService,
    invitations: invitationsService,
    applications: applicationsService,
    'application-documents': applicationDocumentsService,
    'service-records': serviceRecordsService,
    classifications: classificationsService,
  } satisfies ServiceFactories<'dealers'>,
  jobs: [
    checkApplicationJob,
    sendApplicationLetterJob,
    requestApplicationInfoJob,
    rejectApplicationJob,
    expireApplicationJob,
    createDealerJob,
    publishOnboardingCompletedJob,
    scoreCreditJob,
    applyCreditLimitJob,
    rejectCreditChangeJob,
    sendCreditDecisionJob,
    restoreCreditLimitJob,
  ],
  templates: {
    names: ['dealers/application-received', 'dealers/application-needs-info', 'dealers/application-rejected', 'dealers/application-welcome', 'dealers/credit-decision', 'dealers/invitation', 'dealers/account-statement'],
  },
  graphql: mergeGraphql(staffGraphql, dealerGraphql, publicGraphql, serviceRecordsGraphql),
  http: [uploadApplicationDocument, openApplicationDocument],
  migrations: dealersMigrations,
  tenant: dealersTenant,
  permissions: {
    // Directors approve large credit limits, so they read the dealer and its credit too.
    'dealers.read': ['channel-manager', 'sales-rep', 'finance', 'director'],
    // Applications carry applicants' ID cards and bank proofs: only those who review them.
    'dealers.read-applications': ['channel-manager', 'director'],
    'dealers.read-credit': ['channel-manager', 'sales-rep', 'finance', 'director'],
    'dealers.post-credit': ['finance'],
    'dealers.request-credit-change': ['sales-rep', 'channel-manager', 'finance'],
    'dealers.manage-status': ['channel-manager', 'director'],
    'dealers.manage-blacklist': ['channel-manager', 'finance', 'director'],
    'dealers.service': ['channel-manager', 'sales-rep', 'director'],
    'dealers.configure': [],
    'dealers.edit': ['channel-manager', 'sales-rep'],
  },
  bootstrap: async ({ strapi }) => {
    await service(strapi, 'dealers', 'classifications').ensureDefaults();
    await service(strapi, 'dealers', 'application-documents').moveOutOfMediaLibrary();
  },
  events: dealersEvents,
  seed: seedDealers,
  seedProcesses: seedDealerProcesses,
});
