import type { ApolloServerPlugin } from '@apollo/server';
import { serviceCallRefusal } from './service-call-cost';

/** Refuses, over HTTP, a document whose worst case is too many service calls, before it runs. */
export const serviceCallCostPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation({ request, document, schema }) {
        const refusal = serviceCallRefusal(schema, document, request.variables, request.operationName);
        if (refusal) throw refusal;
      },
    };
  },
};
