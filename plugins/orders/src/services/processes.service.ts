import type { Core } from '@strapi/strapi';

/**
 * Starts the processes placed orders wait for, off the request path: placing an order commits its
 * reservations and returns; this dispatcher then starts its approval or fulfilment (at once when
 * idle, in batches under load), and catches up on anything a crash or an engine outage left
 * unstarted. ORDERS_DISPATCH_BATCH orders (default 50) per ORDERS_DISPATCH_INTERVAL_MS (default
 * 1000) at most, so a burst of orders does not starve order intake of CPU.
 */
export default ({ strapi }: { strapi: Core.Strapi }) => {
  const batch = Number(process.env.ORDERS_DISPATCH_BATCH ?? 50);
  const intervalMs = Number(process.env.ORDERS_DISPATCH_INTERVAL_MS ?? 1000);
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let again = false;
  let lastRun = 0;
  let stopped = true;

  const schedule = (delayMs: number) => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void run();
    }, delayMs);
    timer.unref();
  };

  async function run() {
    if (running) {
      again = true;
      return;
    }
    running = true;
    again = false;
    lastRun = Date.now();
    try {
      const { waiting } = await strapi.plugin('orders').service('orders').dispatchProcesses(batch);
      // A full batch means more are waiting.
      if (waiting >= batch) again = true;
    } catch (error) {
      // The runtime may not be up yet (first seconds of a start): the next round tries again.
      strapi.log.debug(`[orders] dispatch: ${(error as Error).message}`);
    } finally {
      running = false;
      schedule(again ? Math.max(0, intervalMs - (Date.now() - lastRun)) : intervalMs * 10);
    }
  }

  return {
    start() {
      stopped = false;
      schedule(0);
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
    /** An order was placed: dispatch soon (at once when the last round is an interval ago). */
    nudge() {
      if (stopped) return;
      if (running) {
        again = true;
        return;
      }
      if (timer) clearTimeout(timer);
      timer = undefined;
      schedule(Math.max(0, intervalMs - (Date.now() - lastRun)));
    },
  };
};
