import { defineStateMachine } from '@channelflow/sdk';

export type RecordStatus = 'submitted' | 'approved' | 'rejected';

/** A record's lifecycle: staff approve or reject a submitted record; both are final. */
export const recordLifecycle = defineStateMachine<RecordStatus>({
  name: '__Title__ record',
  uid: 'plugin::__name__.record',
  states: ['submitted', 'approved', 'rejected'],
  transitions: { submitted: ['approved', 'rejected'] },
  // Not `status`: Strapi 5 reserves that name (draft & publish), and the admin panel could not show or save it.
  statusField: 'recordStatus',
  label: (row) => row.documentId,
});
