import type { ApolloServerPlugin, BaseContext, GraphQLRequestContext, GraphQLRequestListener, GraphQLResponse } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import { Plugin } from '@nestjs/apollo';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

/** A document seen once is executed as usual; from its second use on it is compiled (compiling costs more than one run). */
type Entry = { uses: number; compiled?: CompiledQuery | null };

/**
 * Runs read queries through queries compiled by graphql-jit instead of graphql-js's interpreter,
 * which walks every field of every row with its own resolver call, info object and path: for a
 * list of 500 agents, 6,500 fields and most of the request's time (see docs/benchmarks.md, Lists).
 *
 * Only for queries, and only when the compiled run answers without errors: a mutation, a
 * subscription, a document that does not compile, and any answer carrying an error go the usual
 * way, so errors keep Apollo's shape, codes and formatting exactly (a read may then run twice). Apollo
 * has parsed and validated the document before this hook, so its validation rules still apply.
 * It skips the execution hooks of other plugins (executionDidStart, willResolveField) for those
 * queries; none installed has any (Apollo's cache-control plugin is disabled, see noStorePlugin).
 */
@Plugin()
export class CompiledQueriesPlugin implements ApolloServerPlugin<BaseContext> {
  /** By document (Apollo keeps one object per query text in its document cache) and operation. */
  private documents = new WeakMap<DocumentNode, Map<string, Entry>>();
  private schema?: GraphQLSchema;

  async requestDidStart(): Promise<GraphQLRequestListener<BaseContext>> {
    return { responseForOperation: (ctx) => this.respond(ctx) };
  }

  private async respond(ctx: GraphQLRequestContext<BaseContext>): Promise<GraphQLResponse | null> {
    if (ctx.operation?.operation !== 'query' || !ctx.document) return null;
    let result;
    try {
      const compiled = this.compiled(ctx.schema, ctx.document, ctx.operationName ?? null);
      if (!compiled) return null;
      // No rootValue: the GraphQL module sets none (nor a default field resolver), as Apollo would pass.
      result = await compiled.query(undefined, ctx.contextValue, ctx.request.variables ?? {});
    } catch {
      return null; // a compiler fault: Apollo runs the query the usual way
    }
    if (result.errors?.length || result.data === undefined) return null;
    return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single', singleResult: { data: result.data } } };
  }

  private compiled(schema: GraphQLSchema, document: DocumentNode, operationName: string | null): CompiledQuery | null {
    if (schema !== this.schema) {
      // A new schema (a restart of the GraphQL module) invalidates what was compiled against the old one.
      this.schema = schema;
      this.documents = new WeakMap();
    }
    let operations = this.documents.get(document);
    if (!operations) this.documents.set(document, (operations = new Map()));
    const key = operationName ?? '';
    const entry = operations.get(key) ?? { uses: 0 };
    operations.set(key, entry);
    if (++entry.uses < 2) return null;
    if (entry.compiled === undefined) {
      const compiled = compileQuery(schema, document, operationName ?? undefined);
      entry.compiled = isCompiledQuery(compiled) ? compiled : null;
    }
    return entry.compiled;
  }
}
