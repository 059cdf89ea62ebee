import type { Core } from '@strapi/strapi';
import { isBpmnError, isChannelflowError, platformRegistry } from '@channelflow/sdk';
import type { ZeebeClient } from './client';

/** How long a platform worker may hold a job before the engine hands it to someone else. */
const JOB_TIMEOUT_MS = Number(process.env.WORKFLOW_JOB_TIMEOUT_MS ?? 5 * 60_000);

export interface RunningWorkers {
  types: string[];
  close(): Promise<void>;
}

/**
 * Every `defineJob` of every plug-in becomes a Zeebe job worker on the one client, in both
 * engine modes. Input and output are validated by the registry; a BpmnError is thrown to the
 * engine (the process's error boundary or event subprocess catches it); any other handler error
 * fails the job with its message (retries - 1, so the last failure becomes an incident an operator can see).
 * Delivery is at least once, so handlers get the job key as their idempotency key.
 */
export function startJobWorkers(strapi: Core.Strapi, client: ZeebeClient): RunningWorkers {
  const registry = platformRegistry(strapi);
  const workers = registry.listJobs().map(({ plugin, job }) =>
    client.createWorker({
      taskType: job.type,
      timeout: JOB_TIMEOUT_MS,
      maxJobsToActivate: 16,
      longPoll: 30_000,
      pollInterval: 100,
      loglevel: 'NONE',
      taskHandler: async (activated: any) => {
        const log = {
          info: (m: string) => strapi.log.info(`[job ${job.type} ${activated.key}] ${m}`),
          warn: (m: string) => strapi.log.warn(`[job ${job.type} ${activated.key}] ${m}`),
          error: (m: string) => strapi.log.error(`[job ${job.type} ${activated.key}] ${m}`),
        };
        try {
          const output = await registry.runJob(job.type, activated.variables, {
            strapi,
            log,
            job: {
              key: String(activated.key),
              processInstanceKey: String(activated.processInstanceKey),
              bpmnProcessId: activated.bpmnProcessId,
              elementId: activated.elementId,
              retries: activated.retries,
              customHeaders: activated.customHeaders ?? {},
            },
          });
          return await activated.complete(output);
        } catch (error) {
          if (isBpmnError(error)) {
            return activated.error({ errorCode: error.errorCode, errorMessage: error.message.slice(0, 2000), variables: error.variables });
          }
          const message = isChannelflowError(error) ? error.message : `${plugin} job ${job.type} failed: ${(error as Error)?.message ?? error}`;
          if (!isChannelflowError(error)) log.error((error as Error)?.stack ?? String(error));
          return activated.fail({ errorMessage: message.slice(0, 2000), retries: Math.max(0, Number(activated.retries) - 1), retryBackOff: 1000 });
        }
      },
    } as any),
  );
  return {
    types: registry.listJobs().map(({ job }) => job.type),
    close: async () => {
      await Promise.all(workers.map((w: any) => w.close().catch(() => undefined)));
    },
  };
}
