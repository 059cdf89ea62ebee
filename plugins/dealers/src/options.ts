import type { Core } from '@strapi/strapi';
import { defineOptions } from '@channelflow/sdk';
import { z } from 'zod';
import { DOCUMENT_KINDS, type DocumentKind } from './services/document-kinds';

/** ISO 8601 durations as the engine's timers take them: P30D, PT8S, P1DT12H. */
const ISO_DURATION = /^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;
const wholeNumber = (min: number) => z.coerce.number().int('a whole number').min(min);

/** Comma-separated document kinds, empty for none (kept as text so that an empty variable says "none"). */
const kindsIn = (value: string) => [...new Set(value.split(',').map((k) => k.trim()).filter(Boolean))];
const documentKinds = z.string().superRefine((value, ctx) => {
  const unknown = kindsIn(value).filter((k) => !(DOCUMENT_KINDS as readonly string[]).includes(k));
  if (unknown.length) ctx.addIssue({ code: 'custom', message: `names unknown kinds (${unknown.join(', ')}); kinds are ${DOCUMENT_KINDS.join(', ')}` });
});

/** The dealers plug-in's settings, each from `DEALERS_<FIELD>` (see the README's configuration table). */
export const dealersOptions = defineOptions(
  'dealers',
  z.object({
    infoAnswerWindow: z
      .string()
      .regex(ISO_DURATION, 'an ISO 8601 duration such as P30D or PT12H')
      .default('P30D')
      .describe("how long an applicant has to answer a reviewer's question (ISO 8601 duration)"),
    complaintReplyDays: z.coerce.number().positive('more than 0 days').default(3).describe('days a dealer complaint may wait for its reply'),
    temporaryLimitMinSeconds: wholeNumber(0).default(3600).describe('the shortest temporary credit limit a request may ask for, in seconds'),
    documentsDir: z
      .string()
      .min(1)
      .default('.data/application-documents')
      .describe("where applicants' identity documents are kept, outside the media library (relative to platform/; give every platform process the same folder)"),
    documentMaxBytes: wholeNumber(1).default(10 * 1024 * 1024).describe('the largest application document accepted, in bytes'),
    requiredDocuments: documentKinds
      .default('business_license')
      .describe('document kinds every dealer application must carry (comma-separated; empty for none)'),
    applicationsPerHour: wholeNumber(0).default(5).describe('dealer applications accepted per hour from one address'),
    documentUploadsPerHour: wholeNumber(0).default(20).describe('application documents accepted per hour from one address'),
  }),
);

/** The document kinds every application must carry (DEALERS_REQUIRED_DOCUMENTS), validated at start. */
export function requiredDocumentKinds(strapi: Core.Strapi): DocumentKind[] {
  return kindsIn(dealersOptions.of(strapi).requiredDocuments) as DocumentKind[];
}
