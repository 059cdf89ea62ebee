import { z } from 'zod';
import { ChannelflowError, notFound, parseInput, parsePage, platformRegistry, staffScope, type GraphqlExtension } from '@channelflow/sdk';
import type { Core } from '@strapi/strapi';

const filter = z.object({
  bpmnProcessId: z.string().max(255).optional(),
  latestOnly: z.boolean().default(false),
});

export const definitionsGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    type ProcessDefinition {
      key: ID!
      bpmnProcessId: String!
      version: Int!
      resourceName: String!
      deployedAt: String!
      "The BPMN source of this version."
      xml: String!
    }
    type ProcessDefinitionPage { nodes: [ProcessDefinition!]! total: Int! page: Int! pageSize: Int! }
    extend type Query {
      "Staff: deployed processes and their versions, newest first (embedded engine)."
      processDefinitions(bpmnProcessId: String, latestOnly: Boolean, page: Int, pageSize: Int): ProcessDefinitionPage!
      "Staff: one deployed version by its key."
      processDefinition(key: ID!): ProcessDefinition!
    }
  `,
  resolvers: {
    Query: {
      processDefinitions: staffScope('platform.read-processes', async (args, { strapi }) => {
        const { bpmnProcessId, latestOnly } = parseInput(filter, { bpmnProcessId: args.bpmnProcessId ?? undefined, latestOnly: args.latestOnly ?? undefined });
        const { page, pageSize } = parsePage(args);
        const knex = embeddedEngine(strapi);
        const query = knex('wf_process_definitions as d').modify((q) => {
          if (bpmnProcessId) q.where('d.bpmn_process_id', bpmnProcessId);
          if (latestOnly) {
            q.whereRaw('d.version = (select max(v.version) from wf_process_definitions v where v.bpmn_process_id = d.bpmn_process_id and v.tenant_id = d.tenant_id)');
          }
        });
        const [{ count }] = await query.clone().count({ count: '*' });
        const rows = await query
          .clone()
          .orderBy([{ column: 'd.bpmn_process_id' }, { column: 'd.version', order: 'desc' }])
          .offset((page - 1) * pageSize)
          .limit(pageSize)
          .select('d.*');
        return { nodes: rows.map(toDefinition), total: Number(count), page, pageSize };
      }),
      processDefinition: staffScope('platform.read-processes', async (args, { strapi }) => {
        const { key } = parseInput(z.object({ key: z.string().regex(/^\d+$/, 'keys are numbers') }), args);
        const row = await embeddedEngine(strapi)('wf_process_definitions').where({ key }).first();
        if (!row) throw notFound('Process definition', key);
        return toDefinition(row);
      }),
    },
  },
};

function embeddedEngine(strapi: Core.Strapi) {
  if (platformRegistry(strapi).workflowRuntime()?.mode !== 'embedded') {
    throw new ChannelflowError('NOT_SUPPORTED', 'Deployed processes are listed from the embedded engine; with WORKFLOW_ENGINE=zeebe use Camunda Operate');
  }
  return strapi.db.connection;
}

function toDefinition(row: any) {
  return {
    key: String(row.key),
    bpmnProcessId: row.bpmn_process_id,
    version: row.version,
    resourceName: row.resource_name,
    deployedAt: new Date(row.created_at).toISOString(),
    xml: row.xml,
  };
}
