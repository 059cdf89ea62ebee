import { service } from '@channelflow/sdk';
import { z } from 'zod';
import type { Core } from '@strapi/strapi';

/** What every dealers-credit-limit-change job gets: the request it works on. */
export const requestId = z.number().int().positive();

export const creditChangeService = (strapi: Core.Strapi) => service(strapi, 'dealers', 'credit-change');
