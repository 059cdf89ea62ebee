import type { Step } from '../interpreter';
import type { Vars } from '../types';
import { parseChangeset, requestTransition } from '../user-tasks';

/**
 * USER_TASK ASSIGN / UPDATE / COMPLETE: each asks for a transition whose task listeners run first;
 * the answer (`outcome`) settles once they are done or one denied it.
 */
export function assignUserTask(step: Step, request: { key: number; assignee: string; allowOverride: boolean; action: string }) {
  return requestTransition(step, request.key, 'assigning', request);
}

export function unassignUserTask(step: Step, key: number) {
  return requestTransition(step, key, 'assigning', { assignee: '', action: 'unassign' });
}

export function updateUserTask(step: Step, request: { key: number; changeset: Record<string, unknown>; action: string }) {
  return requestTransition(step, request.key, 'updating', { action: request.action, changeset: parseChangeset(request.changeset) });
}

export function completeUserTask(step: Step, request: { key: number; variables: Vars; action: string }) {
  return requestTransition(step, request.key, 'completing', request);
}
