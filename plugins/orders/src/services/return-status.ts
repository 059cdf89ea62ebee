import { defineStateMachine } from '@channelflow/sdk';
import { RETURN_REQUEST } from '../uids';

export const RETURN_STATUSES = ['requested', 'approved', 'rejected', 'credited'] as const;
export type ReturnStatus = (typeof RETURN_STATUSES)[number];

/** A return: staff approve or reject the request; an approved return is credited once its goods arrive. */
export const returnStateMachine = defineStateMachine<ReturnStatus>({
  name: 'Return',
  uid: RETURN_REQUEST,
  states: RETURN_STATUSES,
  transitions: { requested: ['approved', 'rejected'], approved: ['credited'] },
  statusField: 'returnStatus',
  label: (r) => r.number ?? String(r.id),
});
