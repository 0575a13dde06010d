import { AutocoderError } from '@autocoder/contracts';
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';

/** Our errors keep their stable code and field details in `extensions`; others pass through as GraphQL reports them. */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof AutocoderError) {
    return {
      message: original.message,
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: original.code, ...(original.details ? { details: original.details } : {}) },
    };
  }
  const code = formatted.extensions?.code;
  if (code === 'INTERNAL_SERVER_ERROR') {
    return { message: 'internal error; the gateway log has it under this request\'s correlation id', path: formatted.path, extensions: { code: 'INTERNAL' } };
  }
  return formatted;
}
