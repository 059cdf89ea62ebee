import { z } from 'zod';
import { notifications, pageArgs, parseInput, platformRegistry, staffScope, type GraphqlExtension } from '@channelflow/sdk';

const OUTBOX = 'api::outbox-message.outbox-message';

const outboxArgs = pageArgs.extend({
  status: z.enum(['queued', 'sent', 'failed', 'not_sent']).optional(),
  to: z.string().max(200).optional(),
});

export const platformGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    enum OutboxStatus { queued sent failed not_sent }
    type OutboxMessage {
      documentId: ID!
      to: String!
      subject: String!
      html: String!
      text: String!
      template: String!
      locale: String!
      status: OutboxStatus!
      statusReason: String
      sentAt: String
      createdAt: String!
    }
    type OutboxMessagePage { nodes: [OutboxMessage!]! total: Int! page: Int! pageSize: Int! }
    type PlatformPlugin { name: String! jobTypes: [String!]! templates: [String!]! permissions: [String!]! }
    type PlatformInfo { database: String! plugins: [PlatformPlugin!]! }
    extend type Query {
      "Staff: every e-mail the platform produced, newest first, with its delivery status."
      outboxMessages(status: OutboxStatus, to: String, page: Int, pageSize: Int): OutboxMessagePage!
      "Staff: what is installed (plug-ins, their job types, templates and permissions)."
      platformInfo: PlatformInfo!
    }
    extend type Mutation {
      "Platform admins: send the test e-mail to check SMTP delivery."
      sendTestEmail(to: String!, locale: String): OutboxMessage!
    }
  `,
  resolvers: {
    Query: {
      outboxMessages: staffScope('platform.read-outbox', async (args, { strapi }) => {
        const { page, pageSize, status, to } = parseInput(outboxArgs, args, 'outbox filter');
        const where = { ...(status ? { status } : {}), ...(to ? { to: { $containsi: to } } : {}) };
        const [nodes, total] = await Promise.all([
          strapi.db.query(OUTBOX).findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], offset: (page - 1) * pageSize, limit: pageSize }),
          strapi.db.query(OUTBOX).count({ where }),
        ]);
        return { nodes, total, page, pageSize };
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
  'platform.read-outbox': ['channel-manager', 'finance'],
  'platform.read-registry': ['channel-manager', 'sales-rep', 'finance'],
  'platform.send-test-email': [],
} as const;
