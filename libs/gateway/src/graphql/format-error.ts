import { AutocoderError, ErrorCodes } from '@autocoder/contracts';
import { currentCorrelationId, withCorrelationId, type Logger } from '@autocoder/platform';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** Stack traces (with server paths) reach clients only on a developer's machine. */
export const showStackTraces = () => process.env.NODE_ENV === 'development';

export type GraphQLErrorFormatter = (formatted: GraphQLFormattedError, error: unknown, correlationId?: string) => GraphQLFormattedError;

/**
 * One error shape for GraphQL over HTTP and over the websocket: our errors keep their stable code
 * and field details in `extensions`; anything unexpected becomes INTERNAL, is logged with the
 * correlation id its message names, and never shows its stack outside development.
 */
export function createGraphQLErrorFormatter(logger: Logger): GraphQLErrorFormatter {
  return (formatted, error, correlationId = currentCorrelationId()) => {
    const original = unwrapResolverError(error);
    if (original instanceof AutocoderError) {
      return {
        message: original.message,
        path: formatted.path,
        locations: formatted.locations,
        extensions: { code: original.code, ...(original.details ? { details: original.details } : {}) },
      };
    }
    const { stacktrace, ...extensions } = formatted.extensions ?? {};
    if (extensions.code === 'INTERNAL_SERVER_ERROR') {
      const id = correlationId ?? 'unknown';
      withCorrelationId(id, () => logger.error({ err: original, path: formatted.path }, 'GraphQL operation failed'));
      return {
        message: `internal error; the gateway log has it under correlation id ${id}`,
        path: formatted.path,
        locations: formatted.locations,
        extensions: { code: ErrorCodes.Internal },
      };
    }
    return { ...formatted, extensions: showStackTraces() && stacktrace ? { ...extensions, stacktrace } : extensions };
  };
}

/**
 * graphql-ws hands over graphql-js errors as they are; this gives each the code Apollo would give
 * it over HTTP, so both transports answer alike.
 */
export function withHttpCode(error: GraphQLError): GraphQLFormattedError {
  const formatted = error.toJSON();
  if (formatted.extensions?.code) return formatted;
  const cause = error.originalError;
  const code =
    cause && !(cause instanceof GraphQLError)
      ? 'INTERNAL_SERVER_ERROR' // a resolver threw
      : error.path
        ? 'INTERNAL_SERVER_ERROR' // e.g. a null for a non-null field
        : 'BAD_USER_INPUT'; // variables that do not fit their types
  return { ...formatted, extensions: { ...formatted.extensions, code } };
}
