import { publicScope, rateLimit, presentArgs, type GraphqlExtension, service } from '@channelflow/sdk';
import { longToNumber } from './credit-types';
import { dealersOptions } from '../options';
import type { ApplicationsService } from '../contract';

export const publicGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    type AcceptedDealerInvitation { jwt: String! email: String! role: DealerPortalRole! }
    input DealerApplicationInput {
      companyName: String!
      "Unified social credit code (统一社会信用代码)."
      taxId: String!
      contactName: String!
      contactEmail: String!
      contactPhone: String
      regionCode: String!
      "A dealer type code (distributor, sub-dealer, store unless configured otherwise)."
      dealerType: String!
      "Expected yearly purchases, in cents (CNY)."
      annualVolumeMinor: Long!
      regionsWanted: [String!]
      businessScale: String
      needs: String
      "zh-CN (default) or en: the language of the e-mails the applicant gets."
      locale: String
      "Tokens answered by POST /api/dealers/application-documents (at most 10, each usable once within 24 hours)."
      documents: [String!]
    }
    "What an applicant sees of their application."
    type DealerApplicationReceipt { number: ID! status: DealerApplicationStatus! }
    extend type Mutation {
      "Anyone holding an invitation link: create the portal account (username defaults to the e-mail) and sign in. At most 10 attempts per 10 minutes per address."
      acceptDealerInvitation(token: String!, username: String, password: String!): AcceptedDealerInvitation!
      "Anyone: apply to become a dealer; the dealers-onboarding process reviews it. At most DEALERS_APPLICATIONS_PER_HOUR (5) applications per hour per address."
      submitDealerApplication(input: DealerApplicationInput!): DealerApplicationReceipt!
      "An applicant answering the question in the e-mailed link."
      answerDealerApplication(token: String!, answer: String!): DealerApplicationReceipt!
    }
  `,
  resolvers: {
    Mutation: {
      acceptDealerInvitation: publicScope(async (args, { strapi, clientIp }) => {
        rateLimit(`dealers.accept-invitation:${clientIp}`, { limit: 10, windowMs: 10 * 60_000 });
        return service(strapi, 'dealers', 'invitations').accept({ token: args.token, username: args.username ?? undefined, password: args.password });
      }),
      submitDealerApplication: publicScope(async (args, { strapi, clientIp }) => {
        rateLimit(`dealers.apply:${clientIp}`, { limit: dealersOptions.of(strapi).applicationsPerHour, windowMs: 3_600_000 });
        const { annualVolumeMinor, ...rest } = args.input ?? {};
        const input = presentArgs(rest);
        const application = await service(strapi, 'dealers', 'applications').submit({ ...input, annualVolumeCents: longToNumber(annualVolumeMinor) } as Parameters<ApplicationsService['submit']>[0]); // the service validates it
        return { number: application.number, status: application.status };
      }),
      answerDealerApplication: publicScope(async (args, { strapi, clientIp }) => {
        rateLimit(`dealers.answer:${clientIp}`, { limit: 10, windowMs: 10 * 60_000 });
        const application = await service(strapi, 'dealers', 'applications').answerInfo(args.token, args.answer);
        return { number: application.number, status: application.status };
      }),
    },
  },
};
