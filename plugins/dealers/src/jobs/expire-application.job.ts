import { z } from 'zod';
import { defineJob } from '@channelflow/sdk';
import { applicationId, applicationsService } from './application-job-input';

export const expireApplicationJob = defineJob({
  type: 'dealers.expire-application',
  title: 'Dealers: expire application',
  description: 'Ends an application whose applicant did not answer the question in time.',
  input: z.object({ applicationId }),
  output: z.object({}),
  handler: async ({ input, strapi }) => {
    await applicationsService(strapi).expire(input.applicationId);
    return {};
  },
});
