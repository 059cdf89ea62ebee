import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { errors } from '@strapi/utils';
import { isChannelflowError, type KnownErrorCode } from '@channelflow/sdk';

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
  if (original instanceof errors.ApplicationError || original instanceof errors.HttpError) {
    const details = original instanceof errors.ValidationError && original.details ? { details: original.details } : {};
    return withCode(strapiErrorCode(original), original.message, details);
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

/** Strapi's own refusals (login, registration, rate limits) mapped onto the shared codes. */
function strapiErrorCode(error: Error): KnownErrorCode {
  if (error instanceof errors.UnauthorizedError) return 'UNAUTHENTICATED';
  if (error instanceof errors.ForbiddenError || error instanceof errors.PolicyError) return 'FORBIDDEN';
  if (error instanceof errors.NotFoundError) return 'NOT_FOUND';
  if (error instanceof errors.RateLimitError) return 'RATE_LIMITED';
  // ValidationError, PayloadTooLargeError and plain ApplicationError ("Register action is
  // currently disabled", "Invalid identifier or password") are refusals of what was sent.
  return 'BAD_INPUT';
}
