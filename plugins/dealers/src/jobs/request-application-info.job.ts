import { z } from 'zod';
import { defineJob } from '@channelflow/sdk';
import { applicationId, applicationsService } from './application-job-input';

export const requestApplicationInfoJob = defineJob({
  type: 'dealers.request-application-info',
  title: 'Dealers: ask the applicant',
  description: "E-mails the reviewer's question with a link the applicant answers through; the answer arrives as the dealers.application-info-provided message.",
  input: z.object({ applicationId, question: z.string().min(1).max(5000), reviewer: z.string().nullish() }),
  output: z.object({}),
  handler: async ({ input, strapi }) => {
    await applicationsService(strapi).requestInfo(input.applicationId, input.question, input.reviewer ?? null);
    return {};
  },
});
