import { z } from 'zod';
import { defineJob } from '@channelflow/sdk';
import { returnId, returnsService } from './return-jobs';

export const creditReturnJob = defineJob({
  type: 'orders.credit-return',
  title: 'Orders: restock a return and issue its credit note',
  description: "Books the returned units into the receiving warehouse and a credit note for them (at the invoiced price) onto the dealer's credit ledger, once.",
  input: z.object({ returnId, receivedBy: z.string().min(1) }),
  output: z.object({ returnStatus: z.string(), creditNoteNumber: z.string().nullable() }),
  handler: async ({ input, strapi }) => {
    const credited = await returnsService(strapi).receiveAndCredit(input.returnId, input.receivedBy);
    return { returnStatus: credited.status, creditNoteNumber: credited.creditNoteNumber };
  },
});
