import type { Step } from '../interpreter';
import { deleteExpiredMessages } from '../state/messages';

/** MESSAGE EXPIRE: buffered messages whose time to live has passed are gone. */
export function expireMessages(step: Step) {
  return deleteExpiredMessages(step.trx, step.now);
}
