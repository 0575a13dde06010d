import type { ApolloServerPlugin } from '@apollo/server';

/**
 * Every GraphQL answer says `cache-control: no-store`, as Apollo's cache-control plugin said it for
 * this schema (it has no cache hints, and the default max age is 0). That plugin is disabled in the
 * GraphQL module: its `willResolveField` hook made Apollo wrap every field's resolver, so each field
 * of each row paid a hook call, a cache policy and an info object, compiled queries included.
 */
export const noStorePlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (!response.http.headers.has('cache-control')) response.http.headers.set('cache-control', 'no-store');
      },
    };
  },
};
