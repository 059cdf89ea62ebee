import { z } from 'zod';
import { defineJob } from '@channelflow/sdk';
import { creditChangeService, requestId } from './credit-change-job-input';

export const restoreCreditLimitJob = defineJob({
  type: 'dealers.restore-credit-limit',
  title: 'Dealers: end temporary credit limit',
  description: 'When a temporary limit runs out: back to the permanent limit, unless a later change replaced it.',
  input: z.object({ requestId }),
  output: z.object({}),
  handler: async ({ input, strapi }) => {
    await creditChangeService(strapi).expire(input.requestId);
    return {};
  },
});
