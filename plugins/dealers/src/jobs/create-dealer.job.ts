import { z } from 'zod';
import { defineJob } from '@channelflow/sdk';
import { applicationId, applicationsService } from './application-job-input';

export const createDealerJob = defineJob({
  type: 'dealers.create-dealer',
  title: 'Dealers: create dealer from application',
  description: "Creates the approved dealer (active), its credit account with the tier's default limit (the entry tier when none was chosen), the owner's portal invitation and a sales rep assignment.",
  input: z.object({ applicationId, tier: z.string().nullish(), reviewer: z.string().nullish(), reviewNote: z.string().nullish() }),
  output: z.object({ dealerId: z.number().int(), dealerCode: z.string() }),
  handler: ({ input, strapi }) => applicationsService(strapi).approve(input.applicationId, { tier: input.tier ?? null, reviewer: input.reviewer ?? null, note: input.reviewNote ?? null }),
});
