import { z } from 'zod';
import { defineJob } from '@channelflow/sdk';
import { applicationId, applicationsService } from './application-job-input';

export const checkApplicationJob = defineJob({
  type: 'dealers.check-application',
  title: 'Dealers: check application',
  description: 'Automatic checks of a dealer application: the tax id is not already a dealer and not on the blacklist. Also hands the review form the tiers to choose from.',
  input: z.object({ applicationId }),
  output: z.object({ checksPassed: z.boolean(), checkFailure: z.string().nullable(), tierOptions: z.array(z.object({ label: z.string(), value: z.string() })) }),
  handler: ({ input, strapi }) => applicationsService(strapi).check(input.applicationId),
});
