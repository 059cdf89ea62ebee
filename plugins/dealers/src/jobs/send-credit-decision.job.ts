import { z } from 'zod';
import { defineJob } from '@channelflow/sdk';
import { creditChangeService, requestId } from './credit-change-job-input';

export const sendCreditDecisionJob = defineJob({
  type: 'dealers.send-credit-decision',
  title: 'Dealers: send credit decision letter',
  description: 'E-mails the decision letter (dealers/credit-decision template) to the dealer owners and finance users.',
  input: z.object({ requestId }),
  output: z.object({ lettersSent: z.number().int().min(0) }),
  handler: async ({ input, strapi }) => ({ lettersSent: (await creditChangeService(strapi).sendDecisionLetter(input.requestId)).sent }),
});
