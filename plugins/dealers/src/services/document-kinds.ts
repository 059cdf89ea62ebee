import { z } from 'zod';

/** What an applicant may upload (a leaf module: the plug-in's options validate against it at load). */
export const DOCUMENT_KINDS = ['business_license', 'legal_representative_id', 'bank_account_proof', 'store_photo', 'other'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];
export const documentKind = z.enum(DOCUMENT_KINDS);

/** How a kind reads in a rejection reason. */
export const DOCUMENT_KIND_WORDS: Record<DocumentKind, string> = {
  business_license: 'business licence',
  legal_representative_id: "legal representative's ID",
  bank_account_proof: 'proof of the bank account',
  store_photo: 'photo of the store',
  other: 'other document',
};
