import { describe, expect, it } from 'vitest';
import { dispatchSettings } from '../src/outbox/dispatcher';

describe('outbox dispatcher settings', () => {
  it.each([
    [{}, { batch: 50, intervalMs: 1000, leaseMs: 30_000, maxAttempts: 8, retryBaseMs: 1000, enabled: true, keepDeliveredDays: 30 }],
    [{ OUTBOX_DISPATCH_BATCH: '5', OUTBOX_DISPATCH_INTERVAL_MS: '0', OUTBOX_DISPATCHER: 'OFF' }, { batch: 5, intervalMs: 0, enabled: false }],
    [{ OUTBOX_MAX_ATTEMPTS: '3', OUTBOX_RETRY_BASE_MS: '50', OUTBOX_LEASE_MS: '2000', OUTBOX_KEEP_DELIVERED_DAYS: '7' }, { maxAttempts: 3, retryBaseMs: 50, leaseMs: 2000, keepDeliveredDays: 7 }],
  ])('%j reads as %j', (env, expected) => {
    expect(dispatchSettings(env as NodeJS.ProcessEnv)).toMatchObject(expected);
  });

  it.each([
    [{ OUTBOX_DISPATCH_BATCH: '0' }, /OUTBOX_DISPATCH_BATCH must be a whole number of at least 1/],
    [{ OUTBOX_MAX_ATTEMPTS: 'many' }, /OUTBOX_MAX_ATTEMPTS must be a whole number/],
    [{ OUTBOX_LEASE_MS: '10' }, /OUTBOX_LEASE_MS must be a whole number of at least 100/],
    [{ OUTBOX_DISPATCHER: 'sometimes' }, /OUTBOX_DISPATCHER must be on or off/],
  ])('refuses %j', (env, message) => {
    expect(() => dispatchSettings(env as NodeJS.ProcessEnv)).toThrow(message);
  });
});
