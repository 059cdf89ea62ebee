import { z } from 'zod';
import { defineJob, service } from '@channelflow/sdk';
import type {} from '../contract';

export const summarizeRecordsJobType = '__name__.summarize-records';

/** Read-only, so it is naturally idempotent; a writing job would use job.key as its idempotency key. */
export const summarizeRecordsJob = defineJob({
  type: summarizeRecordsJobType,
  title: '__Title__: summarize records',
  description: "Counts a dealer's __title__ records and totals their amounts",
  input: z.object({ dealerCode: z.string().min(1) }),
  output: z.object({ recordCount: z.number().int(), totalMinor: z.number().int() }),
  handler: async ({ input, strapi }) => service(strapi, '__name__', 'records').summaryForDealer(input.dealerCode),
});
