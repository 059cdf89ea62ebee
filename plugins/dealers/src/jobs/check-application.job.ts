import { z } from 'zod';
import { defineJob } from '@channelflow/sdk';
import { documentKind } from '../services/application-documents.service';
import { applicationId, applicationsService } from './application-job-input';

export const checkApplicationJob = defineJob({
  type: 'dealers.check-application',
  title: 'Dealers: check application',
  description: 'Automatic checks of a dealer application: the tax id is not already a dealer and not on the blacklist, and every kind of document in requiredDocuments is attached. Also hands the review form the tiers to choose from.',
  input: z.object({
    applicationId,
    // Set by submitDealerApplication from DEALERS_REQUIRED_DOCUMENTS; processes started before it existed require none.
    requiredDocuments: z.array(documentKind).default([]).describe('Document kinds the application must have (business_license, legal_representative_id, bank_account_proof, store_photo, other)'),
  }),
  output: z.object({ checksPassed: z.boolean(), checkFailure: z.string().nullable(), applicantReason: z.string().nullable(), tierOptions: z.array(z.object({ label: z.string(), value: z.string() })) }),
  handler: ({ input, strapi }) => applicationsService(strapi).check(input.applicationId, input.requiredDocuments),
});
