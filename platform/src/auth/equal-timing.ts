import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { equalizePasswordFailure, notePasswordWork } from '@channelflow/sdk';

type Action = (ctx: any, next?: any) => Promise<unknown>;

/**
 * users-permissions answers an unknown identifier at once and a known one after a password check,
 * and a password reset for a known address only after its token, e-mail and delivery: the time
 * tells whether an account exists. Here sign-in refusals all cost one password check, and a reset
 * request answers before any account-dependent work, which then runs on its own.
 * Installed in register, before Strapi binds its routes; GraphQL login and forgotPassword call the
 * same controller actions.
 */
export function equalizeAuthTiming(strapi: Core.Strapi): void {
  const plugin = strapi.plugin('users-permissions');
  const users = plugin.service('user') as { validatePassword: (password: string, hash: string) => Promise<boolean> };
  const validatePassword = users.validatePassword.bind(users);
  users.validatePassword = (password, hash) => {
    notePasswordWork();
    return validatePassword(password, hash);
  };

  const auth = plugin.controller('auth') as unknown as Record<'callback' | 'forgotPassword', Action>;
  const callback = auth.callback.bind(auth);
  auth.callback = (ctx, next) => equalizePasswordFailure(strapi, () => callback(ctx, next));

  const forgotPassword = auth.forgotPassword.bind(auth);
  auth.forgotPassword = async (ctx) => {
    const body = ctx.request.body;
    // A malformed address is refused the usual way: that answer does not depend on any account.
    if (!z.object({ email: z.email() }).safeParse(body).success) return forgotPassword(ctx);
    const detached = { request: { body }, params: ctx.params, state: ctx.state, send: () => undefined };
    setImmediate(() => {
      forgotPassword(detached).catch((error: Error) => strapi.log.warn(`password reset request: ${error.message}`));
    });
    return ctx.send({ ok: true });
  };
}
