import { describe, expect, it } from 'vitest';
import { signCarrierPayload, verifyCarrierSignature, type CarrierSignatureFailure } from '../src/services/carrier-signature';

const SECRET = 'whsec_test';
const T = 1_700_000_000;
const BODY = '{"id":"evt_1","status":"delivered"}';
// Computed independently: printf '1700000000.<body>' | openssl dgst -sha256 -hmac whsec_test
const V1 = '2a72176be0402d8d7870db3f629cea8472a089814fab0312d526af3d56f31b22';
const OLD = signCarrierPayload('whsec_old', T, BODY).split('v1=')[1]!;

describe('carrier webhook signature: signing', () => {
  it('signs "<t>.<raw body>" with HMAC-SHA256, as the carrier does', () => {
    expect(signCarrierPayload(SECRET, T, BODY)).toBe(`t=${T},v1=${V1}`);
  });

  it('hashes the body as UTF-8 bytes, whether it arrives as a string or a buffer', () => {
    const expected = `t=${T},v1=d881167c3712349c7d079e7d237318d7843303c24bea56672627b46ba2f56f45`;
    expect(signCarrierPayload(SECRET, T, '{"city":"上海"}')).toBe(expected);
    expect(signCarrierPayload(SECRET, T, Buffer.from('{"city":"上海"}', 'utf8'))).toBe(expected);
  });

  it('refuses an empty secret and timestamps that are not whole seconds', () => {
    expect(() => signCarrierPayload('', T, BODY)).toThrow(/secret/);
    expect(() => signCarrierPayload(SECRET, 1.5, BODY)).toThrow(/timestamp/);
    expect(() => signCarrierPayload(SECRET, -1, BODY)).toThrow(/timestamp/);
  });
});

describe('carrier webhook signature: verifying', () => {
  type Case = [why: string, header: string | null | undefined, options: { body?: string; now?: number; tolerance?: number; secret?: string }, expected: true | CarrierSignatureFailure];
  const cases: Case[] = [
    ['a genuine request', `t=${T},v1=${V1}`, {}, true],
    ['spaces after the commas', `t=${T}, v1=${V1}`, {}, true],
    ['upper-case hex', `t=${T},v1=${V1.toUpperCase()}`, {}, true],
    ['an unknown scheme beside v1 is ignored', `t=${T},v0=deadbeef,v1=${V1},v2=abc`, {}, true],
    ['rotation: the old and the new signature, the new one matches', `t=${T},v1=${OLD},v1=${V1}`, {}, true],
    ['rotation: in the other order', `t=${T},v1=${V1},v1=${OLD}`, {}, true],
    ['rotation: still on the old secret', `t=${T},v1=${OLD},v1=${V1}`, { secret: 'whsec_old' }, true],
    ['rotation: neither is ours', `t=${T},v1=${OLD},v1=${V1}`, { secret: 'whsec_other' }, 'SIGNATURE_MISMATCH'],
    ['no header', undefined, {}, 'MISSING_HEADER'],
    ['a null header', null, {}, 'MISSING_HEADER'],
    ['an empty header', '  ', {}, 'MISSING_HEADER'],
    ['not key=value', 'garbage', {}, 'MALFORMED_HEADER'],
    ['no timestamp', `v1=${V1}`, {}, 'MALFORMED_HEADER'],
    ['no signature', `t=${T}`, {}, 'MALFORMED_HEADER'],
    ['two timestamps', `t=${T},t=${T + 1},v1=${V1}`, {}, 'MALFORMED_HEADER'],
    ['a timestamp that is not whole seconds', `t=${T}.5,v1=${V1}`, {}, 'MALFORMED_HEADER'],
    ['a negative timestamp', `t=-${T},v1=${V1}`, {}, 'MALFORMED_HEADER'],
    ['a changed body', `t=${T},v1=${V1}`, { body: BODY.replace('delivered', 'returned') }, 'SIGNATURE_MISMATCH'],
    ['a changed timestamp (to dodge the tolerance)', `t=${T + 600},v1=${V1}`, { now: T + 600 }, 'SIGNATURE_MISMATCH'],
    ['a different secret', `t=${T},v1=${V1}`, { secret: 'whsec_wrong' }, 'SIGNATURE_MISMATCH'],
    ['a truncated signature: a mismatch, not a throw', `t=${T},v1=${V1.slice(0, 62)}`, {}, 'SIGNATURE_MISMATCH'],
    ['a signature one byte too long', `t=${T},v1=${V1}00`, {}, 'SIGNATURE_MISMATCH'],
    ['an odd number of hex digits', `t=${T},v1=${V1}0`, {}, 'SIGNATURE_MISMATCH'],
    ['non-hex text that decodes to a prefix', `t=${T},v1=${V1.slice(0, 62)}zz`, {}, 'SIGNATURE_MISMATCH'],
    ['an empty signature', `t=${T},v1=`, {}, 'SIGNATURE_MISMATCH'],
    ['exactly at the tolerance', `t=${T},v1=${V1}`, { now: T + 300 }, true],
    ['a replay one second too late', `t=${T},v1=${V1}`, { now: T + 301 }, 'TIMESTAMP_OUT_OF_TOLERANCE'],
    ['a timestamp from the future beyond the tolerance', `t=${T},v1=${V1}`, { now: T - 301 }, 'TIMESTAMP_OUT_OF_TOLERANCE'],
    ['a tighter tolerance', `t=${T},v1=${V1}`, { now: T + 61, tolerance: 60 }, 'TIMESTAMP_OUT_OF_TOLERANCE'],
    ['an old forgery is a mismatch, not a replay', `t=${T},v1=${V1}`, { now: T + 3_600, body: '{}' }, 'SIGNATURE_MISMATCH'],
  ];

  it.each(cases)('%s', (_why, header, options, expected) => {
    const check = verifyCarrierSignature({ secret: options.secret ?? SECRET, header, rawBody: options.body ?? BODY, nowSeconds: options.now ?? T + 5, toleranceSeconds: options.tolerance });
    expect(check).toEqual(expected === true ? { ok: true, timestamp: T } : { ok: false, reason: expected });
  });

  it('verifies a body received as bytes', () => {
    expect(verifyCarrierSignature({ secret: SECRET, header: `t=${T},v1=${V1}`, rawBody: Buffer.from(BODY), nowSeconds: T })).toEqual({ ok: true, timestamp: T });
  });

  it('refuses to verify without a secret: an empty one would let anyone sign', () => {
    expect(() => verifyCarrierSignature({ secret: '', header: `t=${T},v1=${V1}`, rawBody: BODY, nowSeconds: T })).toThrow(/secret/);
  });
});
