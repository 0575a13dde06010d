import { randomUUID } from 'node:crypto';
import { AutocoderError, ErrorCodes, httpStatusOf, type Actor, type ErrorBody } from '@autocoder/contracts';
import { withCorrelationId } from '@autocoder/platform';
import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { withBusBudget } from '../bus-budget';
import { commandKeyProblem } from '../command-id';
import { Authenticator } from './authenticator';

export type AuthenticatedRequest = Request & { actor?: Actor; correlationId?: string };

const CORRELATION = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives every request a correlation id (the caller's X-Correlation-Id, or a new one) and an actor.
 * Everything but /health needs a valid token; the GraphQL websocket checks its own on connect.
 */
@Injectable()
export class RequestContextMiddleware implements NestMiddleware {
  constructor(private readonly authenticator: Authenticator) {}

  use(req: AuthenticatedRequest, res: Response, next: NextFunction) {
    const given = req.header('x-correlation-id');
    const correlationId = given && CORRELATION.test(given) ? given : randomUUID();
    req.correlationId = correlationId;
    res.setHeader('X-Correlation-Id', correlationId);
    withCorrelationId(correlationId, () => {
      if (req.originalUrl.split('?')[0] === '/health') return next();
      this.authenticator.authenticate(req.header('authorization')).then(
        (actor) => {
          req.actor = actor;
          const path = req.originalUrl.split('?')[0];
          // A key that cannot be honoured is refused, never silently replaced: the client relies on it.
          const key = req.headers['idempotency-key'];
          const problem = key === undefined ? null : commandKeyProblem(String(key));
          if (problem) {
            const message = `invalid Idempotency-Key header: ${problem}; nothing was done`;
            const details = [{ path: 'Idempotency-Key', message: problem }];
            res.status(400).json({ status: 'error', error: { code: ErrorCodes.ValidationFailed, message, details } });
            return;
          }
          const refusal = path.startsWith('/api/') ? restBodyProblem(req) : null;
          if (refusal) {
            res.status(refusal.status).json({ status: 'error', error: refusal.error });
            return;
          }
          // A GraphQL request gets a budget of service calls, so one document cannot flood the services.
          withCorrelationId(correlationId, () => (path === '/graphql' ? withBusBudget(next) : next()));
        },
        (error) => {
          const body = error instanceof AutocoderError ? error.toBody() : { code: 'UNAVAILABLE', message: 'authentication is unavailable' };
          res.status(error instanceof AutocoderError ? httpStatusOf(error.code) : 503).json({ status: 'error', error: body });
        },
      );
    });
  }
}

/**
 * A REST body is JSON or absent: one in another format (text/plain, a form, no content type) would
 * otherwise reach the route as "no body" and run the command without it, and a JSON array or string
 * where an object belongs likewise.
 */
function restBodyProblem(req: Request): { status: number; error: ErrorBody } | null {
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) > 0);
  if (hasBody && !req.is('application/json')) {
    const given = req.headers['content-type'] ? `content-type ${req.headers['content-type']}` : 'no content-type';
    const message = `the request body must be JSON (content-type: application/json), got ${given}`;
    return { status: 415, error: { code: ErrorCodes.UnsupportedMediaType, message } };
  }
  const body: unknown = req.body;
  if (body !== undefined && (body === null || typeof body !== 'object' || Array.isArray(body))) {
    return { status: 400, error: { code: ErrorCodes.ValidationFailed, message: 'the request body must be a JSON object' } };
  }
  return null;
}
