import { z } from 'zod';
import { defineJob } from '@channelflow/sdk';
import { applicationId, applicationsService } from './application-job-input';

export const publishOnboardingCompletedJob = defineJob({
  type: 'dealers.publish-onboarding-completed',
  title: 'Dealers: announce onboarding completed',
  description: 'Publishes the onboarding.completed message (correlation key: the dealer code) that processes of other plug-ins, such as training, start on or wait for.',
  input: z.object({ applicationId }),
  output: z.object({}),
  handler: async ({ input, strapi }) => {
    await applicationsService(strapi).publishOnboarded(input.applicationId);
    return {};
  },
});
