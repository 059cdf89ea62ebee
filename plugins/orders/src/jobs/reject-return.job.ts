import { z } from 'zod';
import { defineJob } from '@channelflow/sdk';
import { returnId, returnsService } from './return-jobs';

export const rejectReturnJob = defineJob({
  type: 'orders.reject-return',
  title: 'Orders: reject a return',
  description: 'Records that staff turned a return down, by whom and why.',
  input: z.object({ returnId, reviewedBy: z.string().nullish(), returnNote: z.string().nullish() }),
  output: z.object({ returnStatus: z.string() }),
  handler: async ({ input, strapi }) => ({ returnStatus: (await returnsService(strapi).reject(input.returnId, input.reviewedBy || 'staff', input.returnNote || null)).status }),
});
