/** A refused command, with the gRPC status a Zeebe gateway would answer and a Zeebe-style message. */
export type RejectionCode = 'NOT_FOUND' | 'INVALID_ARGUMENT' | 'FAILED_PRECONDITION' | 'ALREADY_EXISTS' | 'RESOURCE_EXHAUSTED' | 'DEADLINE_EXCEEDED' | 'UNAVAILABLE' | 'PERMISSION_DENIED';

export class CommandRejected extends Error {
  constructor(
    readonly code: RejectionCode,
    message: string,
    intent?: string,
  ) {
    super(intent ? `Command '${intent}' rejected with code '${code}': ${message}` : message);
    this.name = 'CommandRejected';
  }
}

/** A step of an element failed in a way an operator must fix; becomes an incident, not a rejection. */
export class IncidentRaised extends Error {
  constructor(
    readonly errorType:
      | 'IO_MAPPING_ERROR'
      | 'CONDITION_ERROR'
      | 'EXTRACT_VALUE_ERROR'
      | 'CALLED_ELEMENT_ERROR'
      | 'CALLED_DECISION_ERROR'
      | 'DECISION_EVALUATION_ERROR'
      | 'UNHANDLED_ERROR_EVENT'
      | 'JOB_NO_RETRIES'
      | 'FORM_NOT_FOUND',
    message: string,
  ) {
    super(message);
    this.name = 'IncidentRaised';
  }
}
