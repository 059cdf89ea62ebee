import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { equalizePasswordFailure, notePasswordWork } from '@channelflow/sdk';

type Action = (ctx: any, next?: any) => Promise<unknown>;

/**
 * users-permissions answers an unknown identifier at once and a known one after a password check,
 * and a password reset for a known address only after its token, e-mail and delivery: the time
 * tells whether an account exists (and a confirmation request for a confirmed address is refused).
 * Here sign-in refusals all cost one password check, and reset and confirmation requests answer
 * before any account-dependent work, which then runs on its own. Installed in register, before
 * Strapi binds its routes; GraphQL login and forgotPassword call the same controller actions.
 */
export function equalizeAuthTiming(strapi: Core.Strapi): void {
  const plugin = strapi.plugin('users-permissions');
  const users = plugin.service('user') as { validatePassword: (password: string, hash: string) => Promise<boolean> };
  const validatePassword = users.validatePassword.bind(users);
  users.validatePassword = (password, hash) => {
    notePasswordWork();
    return validatePassword(password, hash);
  };

  const auth = plugin.controller('auth') as unknown as Record<'callback' | 'forgotPassword' | 'sendEmailConfirmation', Action>;
  const callback = auth.callback.bind(auth);
  auth.callback = (ctx, next) => equalizePasswordFailure(strapi, () => callback(ctx, next));

  // Both answer "ok" for any address; what they do for a known one runs after the answer.
  auth.forgotPassword = answerFirst(strapi, 'password reset request', auth.forgotPassword.bind(auth), (ctx) => ctx.send({ ok: true }));
  // Unchanged, it refused a confirmed address ("Already confirmed") and accepted an unknown one: an account oracle.
  auth.sendEmailConfirmation = answerFirst(strapi, 'e-mail confirmation request', auth.sendEmailConfirmation.bind(auth), (ctx, email) =>
    ctx.send({ email, sent: true }),
  );
}

/**
 * An action whose answer must not depend on whether the address has an account: a malformed
 * address is refused the usual way (that answer depends on no account); otherwise `answer` replies
 * at once and the action runs on its own afterwards, its refusals and failures only logged.
 */
function answerFirst(strapi: Core.Strapi, what: string, action: Action, answer: (ctx: any, email: string) => unknown): Action {
  return async (ctx) => {
    const body = ctx.request.body;
    const parsed = z.object({ email: z.email() }).safeParse(body);
    if (!parsed.success) return action(ctx);
    const detached = { request: { body }, params: ctx.params, state: ctx.state, send: () => undefined };
    setImmediate(() => {
      action(detached).catch((error: Error) => strapi.log.info(`${what}: ${error.message}`));
    });
    return answer(ctx, parsed.data.email);
  };
}
