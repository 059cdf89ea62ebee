import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { errors } from '@strapi/utils';
import { isChannelflowError } from '@channelflow/sdk';

const isProduction = () => process.env.NODE_ENV === 'production';

/**
 * Every error leaves with a stable `extensions.code` and a message a person can act on;
 * anything unexpected is logged and answered with a generic INTERNAL_SERVER_ERROR.
 */
export function formatGraphqlError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };
  const withCode = (code: string, message: string, extra: Record<string, unknown> = {}): GraphQLFormattedError => ({
    ...base,
    message,
    extensions: { code, ...extra, ...(isProduction() ? {} : pickStack(formatted)) },
  });

  if (isChannelflowError(original)) {
    return withCode(original.code, original.message, original.details ? { details: original.details } : {});
  }
  if (original instanceof errors.UnauthorizedError) return withCode('UNAUTHENTICATED', original.message || 'Sign in first');
  if (original instanceof errors.ForbiddenError) return withCode('FORBIDDEN', original.message || 'Forbidden');
  if (original instanceof errors.ValidationError) {
    return withCode('BAD_INPUT', original.message, original.details ? { details: original.details } : {});
  }
  if (original instanceof errors.NotFoundError) return withCode('NOT_FOUND', original.message);
  if (original instanceof errors.ApplicationError || original instanceof errors.HttpError) {
    return withCode(toCode(original.name), original.message);
  }
  // Parse, validation and variable-coercion errors from graphql-js / Apollo are safe and already coded.
  if (original instanceof GraphQLError) {
    const code = formatted.extensions?.code;
    return withCode(typeof code === 'string' ? code : 'BAD_INPUT', formatted.message);
  }
  strapi.log.error(original instanceof Error ? (original.stack ?? original.message) : String(original));
  return withCode('INTERNAL_SERVER_ERROR', 'Something went wrong on our side; the error has been logged.');
}

function pickStack(formatted: GraphQLFormattedError): Record<string, unknown> {
  const stacktrace = formatted.extensions?.stacktrace;
  return stacktrace ? { stacktrace } : {};
}

function toCode(name: string): string {
  return name.replace(/Error$/, '').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase() || 'APPLICATION';
}
