import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The carrier's webhook signature (pure apart from the HMAC; the clock is passed in).
 *
 * Header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. The timestamp is inside the
 * signed text, so an attacker cannot refresh an old request's time without the secret; the tolerance
 * window then makes a captured request useless after a few minutes. While the carrier rotates its
 * secret it signs with the old and the new one and sends both: `t=…,v1=<old>,v1=<new>`; any one
 * matching is enough. Other keys (a future v2) are ignored so a scheme upgrade does not break us.
 */
export const DEFAULT_TOLERANCE_SECONDS = 300;

export type CarrierSignatureFailure = 'MISSING_HEADER' | 'MALFORMED_HEADER' | 'SIGNATURE_MISMATCH' | 'TIMESTAMP_OUT_OF_TOLERANCE';

export type CarrierSignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: CarrierSignatureFailure };

export interface VerifyCarrierSignatureInput {
  secret: string;
  /** The signature header as received; absent when the carrier (or someone else) sent none. */
  header: string | null | undefined;
  /** The body exactly as received: re-serialised JSON would not hash the same. */
  rawBody: string | Uint8Array;
  nowSeconds: number;
  toleranceSeconds?: number;
}

export function signCarrierPayload(secret: string, timestampSeconds: number, rawBody: string | Uint8Array): string {
  assertSecret(secret);
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) throw new Error(`not a timestamp in seconds: ${timestampSeconds}`);
  return `t=${timestampSeconds},v1=${hmacHex(secret, String(timestampSeconds), rawBody)}`;
}

export function verifyCarrierSignature(input: VerifyCarrierSignatureInput): CarrierSignatureCheck {
  const { secret, header, rawBody, nowSeconds, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS } = input;
  assertSecret(secret);
  if (!Number.isFinite(nowSeconds)) throw new Error(`not a time in seconds: ${nowSeconds}`);
  if (!Number.isFinite(toleranceSeconds) || toleranceSeconds < 0) throw new Error(`not a tolerance in seconds: ${toleranceSeconds}`);
  if (header == null || header.trim() === '') return { ok: false, reason: 'MISSING_HEADER' };

  const timestamps: string[] = [];
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) return { ok: false, reason: 'MALFORMED_HEADER' };
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') timestamps.push(value);
    else if (key === 'v1') signatures.push(value);
  }
  // Exactly one timestamp: with two, which one was signed would be the attacker's choice.
  if (timestamps.length !== 1 || !/^\d{1,15}$/.test(timestamps[0]!) || signatures.length === 0) return { ok: false, reason: 'MALFORMED_HEADER' };
  const signedTimestamp = timestamps[0]!;

  // The carrier signed the timestamp as written in the header, so that text is what is hashed.
  const expected = Buffer.from(hmacHex(secret, signedTimestamp, rawBody), 'hex');
  const matches = signatures.some((candidate) => {
    // Buffer.from(…, 'hex') silently stops at the first non-hex character; refuse such values outright.
    if (!/^[0-9a-f]*$/i.test(candidate) || candidate.length % 2 !== 0) return false;
    const given = Buffer.from(candidate, 'hex');
    // timingSafeEqual throws on different lengths; a short or long signature is simply wrong.
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) return { ok: false, reason: 'SIGNATURE_MISMATCH' };

  // Checked after the signature, so "out of tolerance" only ever describes a genuine request replayed late
  // (or a clock far off), never a forgery.
  const timestamp = Number(signedTimestamp);
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return { ok: false, reason: 'TIMESTAMP_OUT_OF_TOLERANCE' };
  return { ok: true, timestamp };
}

function hmacHex(secret: string, timestamp: string, rawBody: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

// An empty secret signs nothing: anyone could compute the HMAC, so it is a configuration error.
function assertSecret(secret: string): void {
  if (typeof secret !== 'string' || secret === '') throw new Error('the carrier webhook secret is not configured');
}
