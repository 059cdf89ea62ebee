import { z } from 'zod';
import { defineJob } from '@channelflow/sdk';
import { creditChangeService, requestId } from './credit-change-job-input';

export const rejectCreditChangeJob = defineJob({
  type: 'dealers.reject-credit-change',
  title: 'Dealers: reject credit change',
  description: 'Records that a credit-limit request was turned down, by whom and why.',
  input: z.object({
    requestId,
    financeDecision: z.string().nullish(),
    financeNote: z.string().nullish(),
    financeApprover: z.string().nullish(),
    directorNote: z.string().nullish(),
    directorApprover: z.string().nullish(),
  }),
  output: z.object({}),
  handler: async ({ input, strapi }) => {
    const byDirector = input.financeDecision === 'approve';
    await creditChangeService(strapi).reject(
      input.requestId,
      (byDirector ? input.directorApprover : input.financeApprover) ?? 'unknown',
      (byDirector ? input.directorNote : input.financeNote) ?? null,
    );
    return {};
  },
});
