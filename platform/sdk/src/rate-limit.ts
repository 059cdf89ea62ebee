import { ChannelflowError } from './errors';

const windows = new Map<string, { count: number; resetAt: number }>();

/**
 * A fixed-window limit for public operations (applications, invitations): at most `limit` calls
 * per `key` (e.g. `invite-accept:<client ip>`) in `windowMs`, else RATE_LIMITED with when to retry.
 * Counts live in this process, which is what one platform process needs; behind a load balancer
 * limit at the proxy as well.
 */
export function rateLimit(key: string, { limit, windowMs }: { limit: number; windowMs: number }): void {
  const now = Date.now();
  if (windows.size > 10_000) for (const [k, w] of windows) if (w.resetAt <= now) windows.delete(k);
  const window = windows.get(key);
  if (!window || window.resetAt <= now) {
    windows.set(key, { count: 1, resetAt: now + windowMs });
    return;
  }
  window.count += 1;
  if (window.count > limit) {
    const retryAfterSeconds = Math.ceil((window.resetAt - now) / 1000);
    throw new ChannelflowError('RATE_LIMITED', `Too many attempts; try again in ${retryAfterSeconds} s`, { retryAfterSeconds });
  }
}
