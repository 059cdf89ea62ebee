import { parseArgs, presentArgs, staffScope, type GraphqlExtension } from '@channelflow/sdk';
import { z } from 'zod';

export const salesTeamsGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    type SalesTeamRegion { code: String! name: String! }
    type SalesTeamMember { username: String! email: String! role: String! }
    "A sales team (销售团队) of one region. Its members work that region's tasks (candidate group <role>:<region>, e.g. channel-manager:EAST, and team:<code>) and new dealers of the region are assigned to its sales reps."
    type SalesTeam { code: String! name: String! region: SalesTeamRegion active: Boolean! members: [SalesTeamMember!]! }
    extend type Query {
      "Staff: the sales teams (includeInactive for retired ones too)."
      salesTeams(includeInactive: Boolean): [SalesTeam!]!
    }
    extend type Mutation {
      "Platform admins: add or change a sales team; memberEmails replaces its members."
      saveSalesTeam(code: String!, name: String!, regionCode: String!, memberEmails: [String!], active: Boolean): SalesTeam!
    }
  `,
  resolvers: {
    Query: {
      salesTeams: staffScope('platform.read-teams', async (args, { strapi }) => {
        const { includeInactive } = parseArgs(z.object({ includeInactive: z.boolean().default(false) }), args);
        return (await strapi.service('api::sales-team.sales-team').list(includeInactive)).map(toSalesTeam);
      }),
    },
    Mutation: {
      saveSalesTeam: staffScope('platform.manage-teams', async (args, { strapi }) =>
        toSalesTeam(await strapi.service('api::sales-team.sales-team').save(presentArgs(args))),
      ),
    },
  },
};

function toSalesTeam(t: any) {
  return {
    code: t.code,
    name: t.name,
    active: t.active !== false,
    region: t.region ? { code: t.region.code, name: t.region.name } : null,
    members: (t.members ?? []).map((m: any) => ({ username: m.username, email: m.email, role: m.role?.type ?? 'unknown' })),
  };
}
