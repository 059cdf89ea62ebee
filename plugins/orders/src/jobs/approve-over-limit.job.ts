import { z } from 'zod';
import { BpmnError, defineJob, isChannelflowError } from '@channelflow/sdk';
import { decidedMeanwhile, orderId, ordersService } from './order-job-input';

export const approveOverLimitJob = defineJob({
  type: 'orders.approve-over-limit',
  title: 'Orders: approve over the credit limit',
  description: 'Reserves the order amount beyond the available credit, recorded as approved by the finance user, and releases the order to fulfilment. Throws DEALER_BLOCKED when the dealer may no longer buy.',
  input: z.object({ orderId, financeApprover: z.string().min(1) }),
  output: z.object({ status: z.string() }),
  handler: async ({ input, strapi }) => {
    try {
      const order = await ordersService(strapi).approveOverLimit(input.orderId, input.financeApprover);
      return { status: order.orderStatus };
    } catch (error) {
      if (isChannelflowError(error) && error.code === 'DEALER_BLOCKED') throw new BpmnError('DEALER_BLOCKED', error.message, { reason: error.message });
      return decidedMeanwhile(strapi, input.orderId, error);
    }
  },
});
