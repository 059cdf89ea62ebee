import { service } from '@channelflow/sdk';
import { z } from 'zod';
import type { Core } from '@strapi/strapi';

/** What every orders-return job gets: the return it works on. */
export const returnId = z.number().int().positive();
export const returnsService = (strapi: Core.Strapi) => service(strapi, 'orders', 'returns');
