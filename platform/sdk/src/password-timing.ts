import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { Core } from '@strapi/strapi';

/**
 * Sign-in and account operations must not reveal whether an account (or an invitation) exists by
 * how long they take: a known identifier costs a password hash (~100-200 ms), an unknown one costs
 * a lookup (~1 ms). The refusal paths that never reach a hash spend one on a dummy instead.
 */
const work = new AsyncLocalStorage<{ spent: boolean }>();

/** Called wherever a password is really hashed or checked inside `equalizeFailure`. */
export function notePasswordWork(): void {
  const state = work.getStore();
  if (state) state.spent = true;
}

/**
 * Runs `run`; when it fails before any password was hashed or checked (notePasswordWork), spends
 * the cost of one password check (`spend`) before the failure reaches the caller, so both refusals
 * take as long as each other and as long as a wrong password.
 */
export async function equalizeFailure<T>(run: () => Promise<T>, spend: () => Promise<unknown>): Promise<T> {
  const state = { spent: false };
  try {
    return await work.run(state, run);
  } catch (error) {
    if (!state.spent) await spend().catch(() => undefined);
    throw error;
  }
}

// bcrypt of a random string nobody knows, at users-permissions' cost (10 rounds): checking against it costs what a real check does.
const DUMMY_HASH = '$2a$10$GUwCru8scEnljSH5hGxw8uZvc46mE28E0su86Dwx3v7FhADpHERh2';

/** equalizeFailure with the cost of a users-permissions password check. */
export function equalizePasswordFailure<T>(strapi: Core.Strapi, run: () => Promise<T>): Promise<T> {
  const users = strapi.plugin('users-permissions').service('user') as { validatePassword(password: string, hash: string): Promise<boolean> };
  return equalizeFailure(run, () => users.validatePassword(randomBytes(12).toString('hex'), DUMMY_HASH));
}
