import { afterEach, describe, expect, it, vi } from 'vitest';
import { rateLimit } from '../src/rate-limit';

describe('rateLimit', () => {
  afterEach(() => vi.useRealTimers());

  it('lets `limit` calls through per key and window, then refuses with when to retry', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const limit = { limit: 3, windowMs: 60_000 };
    for (let i = 0; i < 3; i += 1) rateLimit('accept:1.2.3.4', limit);
    rateLimit('accept:5.6.7.8', limit); // another client has its own window
    vi.advanceTimersByTime(15_000);
    expect(() => rateLimit('accept:1.2.3.4', limit)).toThrow(expect.objectContaining({ code: 'RATE_LIMITED', details: { retryAfterSeconds: 45 } }));
    vi.advanceTimersByTime(45_000);
    expect(() => rateLimit('accept:1.2.3.4', limit)).not.toThrow();
  });
});
