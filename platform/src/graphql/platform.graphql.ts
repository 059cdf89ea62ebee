import { z } from 'zod';
import { notifications, parsePage, parseInput, platformRegistry, staffScope, type GraphqlExtension } from '@channelflow/sdk';

export const platformGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    "Money in integer minor units (cents, 分; Long, so large credit limits fit) and its ISO 4217 currency. Every plug-in uses this one type."
    type Money { amountMinor: Long! currency: String! }
    enum OutboxStatus { queued sent failed not_sent }
    type OutboxMessage {
      documentId: ID!
      to: String!
      subject: String!
      html: String!
      text: String!
      template: String
      locale: String
      status: OutboxStatus!
      "True when the e-mail carried a secret (a reset code, an invitation or answer link): html, text and subject show it as [redacted]."
      carriesSecret: Boolean!
      statusReason: String
      sentAt: String
      createdAt: String!
    }
    type OutboxMessagePage { nodes: [OutboxMessage!]! total: Int! page: Int! pageSize: Int! }
    type PlatformPlugin { name: String! jobTypes: [String!]! templates: [String!]! permissions: [String!]! }
    type PlatformInfo { database: String! plugins: [PlatformPlugin!]! }
    extend type Query {
      "Platform admins (or whoever is granted platform.read-outbox): every e-mail the platform produced, newest first, with its delivery status. Secrets in them read [redacted]; e-mails to staff are listed to platform admins only."
      outboxMessages(status: OutboxStatus, to: String, page: Int, pageSize: Int): OutboxMessagePage!
      "Staff: what is installed (plug-ins, their job types, templates and permissions)."
      platformInfo: PlatformInfo!
    }
    extend type Mutation {
      "Platform admins: send the test e-mail to check SMTP delivery."
      sendTestEmail(to: String!, locale: String): OutboxMessage!
      "Platform admins: deliver a failed or unsent e-mail again, exactly as first rendered (secrets included)."
      retryOutboxMessage(documentId: ID!): OutboxMessage!
    }
  `,
  resolvers: {
    // Rows stored before secrets were tracked read false; the upgrade marks those that carried one.
    OutboxMessage: {
      status: (message: { deliveryStatus: string }) => message.deliveryStatus,
      carriesSecret: (message: { carriesSecret?: boolean | null }) => Boolean(message.carriesSecret),
    },
    Query: {
      outboxMessages: staffScope('platform.read-outbox', async (args, { strapi, actor }) => {
        const filter = { status: args.status ?? undefined, to: args.to ?? undefined };
        return strapi.service('api::outbox-message.outbox-message').list(filter, parsePage(args), actor);
      }),
      platformInfo: staffScope('platform.read-registry', async (_args, { strapi }) => ({
        database: strapi.db.dialect.client,
        plugins: platformRegistry(strapi)
          .listPlugins()
          .map((p) => ({
            name: p.name,
            jobTypes: p.jobs.map((j) => j.type),
            templates: p.templates,
            permissions: Object.keys(p.permissions),
          })),
      })),
    },
    Mutation: {
      retryOutboxMessage: staffScope('platform.retry-outbox', async (args, { strapi }) => {
        const { documentId } = parseInput(z.object({ documentId: z.string().min(1).max(64) }), args);
        return strapi.service('api::outbox-message.outbox-message').retry(documentId);
      }),
      sendTestEmail: staffScope('platform.send-test-email', async (args, { strapi }) => {
        const input = parseInput(z.object({ to: z.email(), locale: z.enum(['zh-CN', 'en']).optional() }), args);
        const recipient = await strapi.db.query('plugin::users-permissions.user').findOne({ where: { email: input.to } });
        return notifications(strapi).sendEmail({
          to: input.to,
          template: 'platform/test-message',
          locale: input.locale,
          data: { recipientName: recipient?.username ?? input.to, sentAt: new Date().toISOString() },
        });
      }),
    },
  },
};

export const PLATFORM_PERMISSIONS = {
  // E-mails hold what dealers and applicants were told, and links into their accounts: platform admins only, unless granted.
  'platform.read-outbox': [],
  'platform.retry-outbox': [],
  'platform.read-registry': ['channel-manager', 'sales-rep', 'finance'],
  'platform.send-test-email': [],
  'platform.read-processes': ['channel-manager'],
  'platform.operate-processes': [],
  'platform.work-tasks': ['channel-manager', 'sales-rep', 'finance', 'director'],
  'platform.read-teams': ['channel-manager', 'sales-rep', 'finance', 'director'],
  'platform.manage-teams': [],
} as const;
