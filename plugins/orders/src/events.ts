import { z } from 'zod';

/** Domain events the orders plug-in emits (through the platform outbox, after the commit that caused them). */
export const INVOICE_ISSUED = 'orders.invoice-issued';
export const CREDIT_NOTE_ISSUED = 'orders.credit-note-issued';

const money = { currency: z.string().length(3), totalMinor: z.number().int() };

export const ordersEvents = {
  [INVOICE_ISSUED]: z.object({ invoiceNumber: z.string().min(1), orderNumber: z.string().min(1), shipmentNumber: z.string().min(1), dealerId: z.number().int().positive(), dealerCode: z.string().min(1), issuedOn: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), dueDate: z.string(), ...money }),
  [CREDIT_NOTE_ISSUED]: z.object({ creditNoteNumber: z.string().min(1), returnNumber: z.string().min(1), orderNumber: z.string().min(1), dealerId: z.number().int().positive(), dealerCode: z.string().min(1), ...money }),
};
