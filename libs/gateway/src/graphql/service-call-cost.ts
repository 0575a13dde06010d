import { GraphQLError, getNullableType, isListType, type DocumentNode, type GraphQLSchema } from 'graphql';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';

/**
 * The cost model for list fields: how many service calls a document may cause at worst. A root field
 * costs one call, as does a field whose resolver declares `complexity: 1` (e.g. Plan.revisions, one
 * call per plan); a list multiplies what is below it by its size, its `limit` when the document gives
 * one, else LIST_SIZE_ASSUMED. The estimate is pessimistic, so its bound is above the exact per-request
 * budget (BUS_BUDGET), which still stops what the estimate lets through.
 */
export const SERVICE_CALL_ESTIMATE = { max: 1000, listSizeAssumed: 100 } as const;

const ROOTS = new Set(['Query', 'Mutation', 'Subscription']);

const listSize = (args: Record<string, unknown>): number => {
  const limit = (args.limit ?? (args.filter as { limit?: unknown } | undefined)?.limit) as unknown;
  return typeof limit === 'number' && limit > 0 ? limit : SERVICE_CALL_ESTIMATE.listSizeAssumed;
};

export const serviceCallEstimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  const declared = field.extensions?.complexity;
  const own = ROOTS.has(type.name) ? (field.name.startsWith('__') ? 0 : 1) : typeof declared === 'number' ? declared : 0;
  const many = isListType(getNullableType(field.type)) ? listSize(args) : 1;
  return own + many * childComplexity;
};

/** The refusal when a document's worst case is beyond the estimate's bound; null when it fits. */
export function serviceCallRefusal(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | null | undefined,
  operationName: string | null | undefined,
): GraphQLError | null {
  let cost: number;
  try {
    cost = getComplexity({ schema, query: document, variables: variables ?? {}, operationName: operationName ?? undefined, estimators: [serviceCallEstimator] });
  } catch {
    return null; // variables that do not fit their types: execution reports them
  }
  if (cost <= SERVICE_CALL_ESTIMATE.max) return null;
  return new GraphQLError(
    `this document could cause up to ${cost} service calls (lists count ${SERVICE_CALL_ESTIMATE.listSizeAssumed} items unless given a limit); ` +
      `at most ${SERVICE_CALL_ESTIMATE.max} are accepted. Ask for less in one document.`,
    { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } },
  );
}
