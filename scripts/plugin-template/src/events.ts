import { z } from 'zod';
import { service, type EventHandler } from '@channelflow/sdk';
import type {} from './contract';

/** Domain events this plug-in emits (through the outbox, after the commit that caused them). */
export const RECORD_APPROVED = '__name__.record-approved';

export const __nameCamel__Events = {
  [RECORD_APPROVED]: z.object({
    recordId: z.string().min(1),
    dealerId: z.number().int().positive(),
    dealerCode: z.string().min(1),
    amountMinor: z.number().int().min(0),
    currency: z.string().length(3),
  }),
};

/** Events of other plug-ins this one reacts to; each runs once per event, in its own transaction. */
export const __nameCamel__Handlers: Record<string, EventHandler> = {
  'dealers.onboarded': async ({ event, strapi }) => service(strapi, '__name__', 'records').welcome(String(event.payload.dealerCode)),
};
