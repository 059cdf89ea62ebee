import { z } from 'zod';
import { defineJob } from '@channelflow/sdk';
import { applicationId, applicationsService } from './application-job-input';

export const rejectApplicationJob = defineJob({
  type: 'dealers.reject-application',
  title: 'Dealers: reject application',
  description: 'Records that an application was rejected, why, and by whom (a failed check or the reviewer).',
  input: z.object({ applicationId, reason: z.string().min(1).max(5000), reviewer: z.string().nullish() }),
  output: z.object({}),
  handler: async ({ input, strapi }) => {
    await applicationsService(strapi).reject(input.applicationId, input.reason, input.reviewer ?? null);
    return {};
  },
});
