import { z } from 'zod';
import { defineJob } from '@channelflow/sdk';
import { returnId, returnsService } from './return-jobs';

export const approveReturnJob = defineJob({
  type: 'orders.approve-return',
  title: 'Orders: approve a return',
  description: 'Records that staff approved a return, with the receiving warehouse when one was named (else where the goods shipped from).',
  input: z.object({ returnId, reviewedBy: z.string().min(1), returnNote: z.string().nullish(), receivingWarehouse: z.string().nullish() }),
  output: z.object({ returnStatus: z.string() }),
  handler: async ({ input, strapi }) => ({ returnStatus: (await returnsService(strapi).approve(input.returnId, input.reviewedBy, input.returnNote || null, input.receivingWarehouse?.trim() || null)).status }),
});
