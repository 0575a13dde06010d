import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { GraphQLError, type ValidationContext, type ValidationRule } from 'graphql';

/**
 * What one GraphQL document may ask for, checked before anything runs (over HTTP and the websocket
 * alike). Tokens are counted by graphql-js's parser, which stops reading at the limit, so a huge
 * document costs no more than a small one; the other rules are GraphQL Armor's. The introspection
 * query (about 160 tokens) and every query the clients send fit easily.
 */
export const DOCUMENT_LIMITS = {
  maxTokens: 2000,
  maxAliases: 15,
  maxDepth: 10,
  maxDirectives: 20,
  maxCost: 5000,
} as const;

export const PARSE_OPTIONS = { maxTokens: DOCUMENT_LIMITS.maxTokens };

/** Armor reports "Syntax Error: …"; the client gets a validation error with our stable code instead. */
const report = (context: ValidationContext | null, error: GraphQLError) =>
  context?.reportError(
    new GraphQLError(`${error.message.replace(/^Syntax Error: /, '')} Ask for less in one document.`, { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
  );
const armor = { propagateOnRejection: false, onReject: [report], exposeLimits: true };

export const DOCUMENT_RULES: ValidationRule[] = [
  maxAliasesRule({ ...armor, n: DOCUMENT_LIMITS.maxAliases }),
  maxDepthRule({ ...armor, n: DOCUMENT_LIMITS.maxDepth, ignoreIntrospection: true }),
  maxDirectivesRule({ ...armor, n: DOCUMENT_LIMITS.maxDirectives }),
  costLimitRule({ ...armor, maxCost: DOCUMENT_LIMITS.maxCost, ignoreIntrospection: true }),
];
