import { z } from 'zod';
import { defineJob } from '@channelflow/sdk';
import { creditChangeService, requestId } from './credit-change-job-input';

export const scoreCreditJob = defineJob({
  type: 'dealers.score-credit',
  title: 'Dealers: score credit',
  description: 'Scores the dealer for a credit-limit request: on-time payment rate and average days late over six months, overdue amount, average utilisation of the limit, and the increases approved automatically in the last 90 days.',
  input: z.object({ requestId }),
  output: z.object({
    onTimeRate: z.number().min(0).max(1),
    averageDaysLate: z.number().min(0),
    invoicesDue: z.number().int().min(0),
    overdueCents: z.number().int().min(0),
    utilisationPct: z.number().min(0),
    recentAutoIncreaseCents: z.number().int().min(0),
  }),
  handler: ({ input, strapi }) => creditChangeService(strapi).score(input.requestId),
});
