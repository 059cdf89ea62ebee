import { z } from 'zod';
import { defineOptions } from '@channelflow/sdk';

/** Set as __NAME_ENV___<SETTING> variables (maxAmountMinor is __NAME_ENV___MAX_AMOUNT_MINOR); checked at start. */
export const __nameCamel__Options = defineOptions(
  '__name__',
  z.object({
    maxAmountMinor: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(100_000_000_000).describe('the largest amount one __title__ record may carry (minor units)'),
    welcomeTitle: z.string().trim().min(2).max(200).default('Welcome to __title__').describe('title of the record opened for every newly onboarded dealer'),
  }),
);
