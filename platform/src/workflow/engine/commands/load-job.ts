import { CommandRejected } from '../errors';
import type { Step } from '../interpreter';
import { loadJob } from '../state/jobs';

/** The job a command names, or the command is refused NOT_FOUND as Zeebe words it. */
export async function requireJob(step: Step, key: number, intent: string, verb: string) {
  const job = await loadJob(step.trx, key);
  if (!job) throw new CommandRejected('NOT_FOUND', `Expected to ${verb} job with key '${key}', but no such job was found`, intent);
  return job;
}
