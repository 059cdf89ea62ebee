import { z } from 'zod';
import type { Core } from '@strapi/strapi';

/** What every orders job gets: the order it works on. */
export const orderId = z.number().int().positive();

export const ordersService = (strapi: Core.Strapi) => strapi.plugin('orders').service('orders');
