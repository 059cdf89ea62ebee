import { z } from 'zod';
import { defineJob, service } from '@channelflow/sdk';
import { orderId } from './order-job-input';

export const invoiceDeliveredJob = defineJob({
  type: 'orders.invoice-delivered',
  title: 'Orders: invoice delivered shipments',
  description: "Issues a numbered invoice for every delivered shipment of the order that has none; the credit reservation becomes a receivable on the dealer's ledger. fullyInvoiced is true once every unit is invoiced.",
  input: z.object({ orderId }),
  output: z.object({ invoicesIssued: z.array(z.string()), fullyInvoiced: z.boolean(), orderStatus: z.string() }),
  handler: async ({ input, strapi }) => {
    const result = await service(strapi, 'orders', 'billing').invoiceDelivered(input.orderId);
    return { invoicesIssued: result.issued, fullyInvoiced: result.fullyInvoiced, orderStatus: result.status };
  },
});
