import { z } from 'zod';
import { defineJob } from '@channelflow/sdk';
import { creditChangeService, requestId } from './credit-change-job-input';

export const applyCreditLimitJob = defineJob({
  type: 'dealers.apply-credit-limit',
  title: 'Dealers: apply credit limit',
  description: 'Puts an approved credit limit in force: permanent, or temporary until the requested date.',
  input: z.object({
    requestId,
    financeApprover: z.string().nullish(),
    financeNote: z.string().nullish(),
    directorApprover: z.string().nullish(),
    directorNote: z.string().nullish(),
  }),
  output: z.object({ appliedLimitCents: z.number().int() }),
  handler: async ({ input, strapi }) => {
    const decidedBy = [input.financeApprover, input.directorApprover].filter((v): v is string => Boolean(v));
    const request = await creditChangeService(strapi).apply(input.requestId, decidedBy, input.directorNote || input.financeNote || null);
    return { appliedLimitCents: request.requestedLimitCents };
  },
});
