import { z } from 'zod';
import { ChannelflowError, dealerScope, parseArgs, parsePage, staffScope, type DealerContext, type GraphqlExtension, type StaffContext } from '@channelflow/sdk';
import type { Core } from '@strapi/strapi';
import { workflowRuntime } from './index';
import type { TaskInbox, TaskViewer } from './tasks';
import { staffGroups } from '../api/sales-team/services/sales-team';

const id = z.string().regex(/^\d{1,19}$/, 'task ids are numbers (as strings)');
const listArgs = z.object({
  state: z.enum(['OPEN', 'COMPLETED', 'CANCELED']).default('OPEN'),
  assignedToMe: z.boolean().default(false),
  candidateGroup: z.string().min(1).max(255).optional(),
});
const completeArgs = z.object({
  id,
  variables: z
    .record(z.string(), z.unknown(), { error: 'variables must be a JSON object' })
    .refine((v) => JSON.stringify(v).length <= 64 * 1024, 'variables may be at most 64 KB of JSON')
    .default({}),
});

/** Dealer-side viewers may look at their dealer's tasks but not work on them. */
const WORKING_ROLES = { roles: ['owner', 'buyer', 'finance'] } as const;

/**
 * The task inbox over GraphQL: staff see tasks for their role or addressed to them; dealer
 * portal users see their own dealer's tasks only (the dealer comes from the signed-in user).
 */
export const tasksGraphql: GraphqlExtension = {
  typeDefs: /* GraphQL */ `
    "OPEN lists tasks waiting for someone; the others list ended tasks you completed (or, for cancellations, could see)."
    enum UserTaskListState { OPEN COMPLETED CANCELED }
    enum UserTaskState { CREATED COMPLETED CANCELED }
    type UserTask {
      "The user task's job key."
      id: ID!
      name: String!
      elementId: String!
      bpmnProcessId: String!
      processInstanceKey: ID!
      state: UserTaskState!
      assignee: String
      candidateGroups: [String!]!
      candidateUsers: [String!]!
      dueDate: String
      followUpDate: String
      formKey: String
      "The Camunda form (form-js JSON) to show; completing the task is validated against it."
      form: JSON
      "Process variables the task shows (for dealers: only the form's fields and what the process shares)."
      variables: JSON!
      createdAt: String!
      completedAt: String
    }
    type UserTaskPage { nodes: [UserTask!]! total: Int! page: Int! pageSize: Int! }
    extend type Query {
      "Staff: tasks assigned to me, or that I can claim (my role is a candidate group, or I am a candidate user)."
      taskInbox(state: UserTaskListState, assignedToMe: Boolean, candidateGroup: String, page: Int, pageSize: Int): UserTaskPage!
      "Staff: one task from my inbox."
      userTask(id: ID!): UserTask!
      "Dealer portal: my dealer's tasks (addressed to the candidate group dealer:<code>)."
      myDealerTasks(state: UserTaskListState, assignedToMe: Boolean, page: Int, pageSize: Int): UserTaskPage!
      "Dealer portal: one of my dealer's tasks."
      myDealerTask(id: ID!): UserTask!
    }
    extend type Mutation {
      "Staff: take a task so nobody else works on it."
      claimTask(id: ID!): UserTask!
      "Staff: give a claimed task back to its candidates."
      unclaimTask(id: ID!): UserTask!
      "Staff: complete a task I claimed; variables are checked against its form."
      completeTask(id: ID!, variables: JSON): UserTask!
      claimMyDealerTask(id: ID!): UserTask!
      unclaimMyDealerTask(id: ID!): UserTask!
      "Dealer portal: complete a task I claimed with the values of its form."
      completeMyDealerTask(id: ID!, variables: JSON): UserTask!
    }
  `,
  resolvers: {
    Query: {
      taskInbox: staffScope('platform.work-tasks', async (args, ctx) =>
        inbox(ctx.strapi).list(await staffViewer(ctx), parseArgs(listArgs, { ...args, page: undefined, pageSize: undefined }), parsePage(args)),
      ),
      userTask: staffScope('platform.work-tasks', async (args, ctx) => inbox(ctx.strapi).get(await staffViewer(ctx), parseArgs(z.object({ id }), args).id)),
      myDealerTasks: dealerScope(async (args, ctx) =>
        inbox(ctx.strapi).list(dealerViewer(ctx), parseArgs(listArgs.omit({ candidateGroup: true }), { ...args, page: undefined, pageSize: undefined }), parsePage(args)),
      ),
      myDealerTask: dealerScope(async (args, ctx) => inbox(ctx.strapi).get(dealerViewer(ctx), parseArgs(z.object({ id }), args).id)),
    },
    Mutation: {
      claimTask: staffScope('platform.work-tasks', async (args, ctx) => inbox(ctx.strapi).claim(await staffViewer(ctx), parseArgs(z.object({ id }), args).id)),
      unclaimTask: staffScope('platform.work-tasks', async (args, ctx) => inbox(ctx.strapi).unclaim(await staffViewer(ctx), parseArgs(z.object({ id }), args).id)),
      completeTask: staffScope('platform.work-tasks', async (args, ctx) => {
        const input = parseArgs(completeArgs, args);
        return inbox(ctx.strapi).complete(await staffViewer(ctx), input.id, input.variables);
      }),
      claimMyDealerTask: dealerScope(WORKING_ROLES, async (args, ctx) => inbox(ctx.strapi).claim(dealerViewer(ctx), parseArgs(z.object({ id }), args).id)),
      unclaimMyDealerTask: dealerScope(WORKING_ROLES, async (args, ctx) => inbox(ctx.strapi).unclaim(dealerViewer(ctx), parseArgs(z.object({ id }), args).id)),
      completeMyDealerTask: dealerScope(WORKING_ROLES, async (args, ctx) => {
        const input = parseArgs(completeArgs, args);
        return inbox(ctx.strapi).complete(dealerViewer(ctx), input.id, input.variables);
      }),
    },
  },
};

function inbox(strapi: Core.Strapi): TaskInbox {
  const tasks = workflowRuntime(strapi).tasks;
  if (!tasks) throw new ChannelflowError('NOT_SUPPORTED', 'The task inbox is turned off on this platform (WORKFLOW_TASK_INBOX=false)');
  return tasks;
}

async function staffViewer({ actor, strapi }: StaffContext): Promise<TaskViewer> {
  if (actor.kind !== 'user') throw new ChannelflowError('FORBIDDEN', 'The task inbox belongs to a signed-in person; API tokens have none');
  const { user, role } = actor;
  // Regional work (candidate group channel-manager:EAST) reaches the members of that region's teams.
  const teams = await strapi.service('api::sales-team.sales-team').membershipOf(user.id);
  return { userId: user.id, username: user.username, names: [...new Set([user.username, user.email])], groups: staffGroups(role, teams), dealerCode: null, admin: role === 'platform-admin' };
}

function dealerViewer({ user, dealer, dealerRole }: DealerContext): TaskViewer {
  return {
    userId: user.id,
    username: user.username,
    names: [...new Set([user.username, user.email])],
    groups: [`dealer:${dealer.code}`, `dealer:${dealer.code}:${dealerRole}`],
    dealerCode: dealer.code,
    admin: false,
  };
}
