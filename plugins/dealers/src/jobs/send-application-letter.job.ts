import { z } from 'zod';
import { defineJob } from '@channelflow/sdk';
import { applicationId, applicationsService } from './application-job-input';

export const sendApplicationLetterJob = defineJob({
  type: 'dealers.send-application-letter',
  title: 'Dealers: send application letter',
  description: 'E-mails the applicant: received, rejected (with the reason) or welcome (templates dealers/application-<letter>). Sent once per application and letter.',
  input: z.object({ applicationId, letter: z.enum(['received', 'rejected', 'welcome']) }),
  output: z.object({}),
  handler: async ({ input, strapi }) => {
    await applicationsService(strapi).sendLetter(input.applicationId, input.letter);
    return {};
  },
});
