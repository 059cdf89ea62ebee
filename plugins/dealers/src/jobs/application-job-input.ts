import { service } from '@channelflow/sdk';
import { z } from 'zod';
import type { Core } from '@strapi/strapi';

/** What every dealers-onboarding job gets: the application it works on. */
export const applicationId = z.number().int().positive();

export const applicationsService = (strapi: Core.Strapi) => service(strapi, 'dealers', 'applications');
