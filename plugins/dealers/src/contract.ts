/**
 * The dealers plug-in's public services, typed. Another plug-in that calls them declares
 * `requires: ['dealers']`, imports these types once (`import type {} from '@channelflow/plugin-dealers/contract'`)
 * and calls `service(strapi, 'dealers', 'credit')`.
 */
import type dealersService from './services/dealers.service';
import type portalUsersService from './services/portal-users.service';
import type creditService from './services/credit.service';
import type creditChangeService from './services/credit-change.service';
import type blacklistService from './services/blacklist.service';
import type invitationsService from './services/invitations.service';
import type applicationsService from './services/applications.service';
import type serviceRecordsService from './services/service-records.service';
import type classificationsService from './services/classifications.service';
import type applicationDocumentsService from './services/application-documents.service';

export type DealersService = ReturnType<typeof dealersService>;
export type PortalUsersService = ReturnType<typeof portalUsersService>;
export type CreditService = ReturnType<typeof creditService>;
export type CreditChangeService = ReturnType<typeof creditChangeService>;
export type BlacklistService = ReturnType<typeof blacklistService>;
export type InvitationsService = ReturnType<typeof invitationsService>;
export type ApplicationsService = ReturnType<typeof applicationsService>;
export type ServiceRecordsService = ReturnType<typeof serviceRecordsService>;
export type ClassificationsService = ReturnType<typeof classificationsService>;
export type ApplicationDocumentsService = ReturnType<typeof applicationDocumentsService>;

declare module '@channelflow/sdk' {
  interface PluginServices {
    dealers: {
      dealers: DealersService;
      'portal-users': PortalUsersService;
      credit: CreditService;
      'credit-change': CreditChangeService;
      blacklist: BlacklistService;
      invitations: InvitationsService;
      applications: ApplicationsService;
      'service-records': ServiceRecordsService;
      classifications: ClassificationsService;
      'application-documents': ApplicationDocumentsService;
    };
  }
}
