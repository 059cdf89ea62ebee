import { z } from 'zod';

/** Domain events the dealers plug-in emits (through the platform outbox, after the commit that caused them). */
export const DEALER_ONBOARDED = 'dealers.onboarded';

export const dealersEvents = {
  [DEALER_ONBOARDED]: z.object({
    dealerId: z.number().int().positive(),
    dealerCode: z.string().min(1),
    applicationNumber: z.string().min(1),
    tier: z.string().min(1),
    regionCode: z.string().min(1),
    ownerEmail: z.string().email(),
  }),
};
