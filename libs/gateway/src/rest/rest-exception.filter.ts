import { AutocoderError, ErrorCodes, httpStatusOf, type ErrorBody } from '@autocoder/contracts';
import { currentCorrelationId, type Logger } from '@autocoder/platform';
import { Catch, HttpException, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
import { GATEWAY_LOGGER } from '../tokens';
import { snakePath } from './snake-case';

/** Every REST error has one shape: {"status":"error","error":{"code","message","details"?}}. */
@Catch()
export class RestExceptionFilter implements ExceptionFilter {
  constructor(@Inject(GATEWAY_LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost) {
    if (host.getType() !== 'http') throw exception;
    const res = host.switchToHttp().getResponse<Response>();
    const [status, body] = this.describe(exception);
    if (status >= 500) this.logger.error({ err: exception }, 'request failed');
    res.status(status).json({ status: 'error', error: body });
  }

  private describe(exception: unknown): [number, ErrorBody] {
    if (exception instanceof AutocoderError) {
      const body = exception.toBody();
      if (body.details) {
        // Name fields as the REST caller spelled them (snake_case), in the details and the message.
        body.details = body.details.map((d) => ({ ...d, path: snakePath(d.path) }));
        const what = body.message.split(': ')[0];
        body.message = `${what}: ${body.details.map((d) => `${d.path}: ${d.message}`).join('; ')}`;
      }
      return [httpStatusOf(exception.code), body];
    }
    const parserFailure = bodyParserFailure(exception);
    if (parserFailure) return parserFailure;
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      // Nest hands body-parser's JSON SyntaxError over as a 400 carrying its message.
      if (status === 400 && /JSON/.test(exception.message)) {
        return [400, { code: ErrorCodes.ValidationFailed, message: `the request body is not valid JSON: ${exception.message}` }];
      }
      const code = status === 404 ? ErrorCodes.NotFound : status === 413 ? ErrorCodes.PayloadTooLarge : status < 500 ? ErrorCodes.ValidationFailed : ErrorCodes.Internal;
      return [status, { code, message: exception.message }];
    }
    return [500, { code: ErrorCodes.Internal, message: `internal error; the gateway log has it under correlation id ${currentCorrelationId() ?? 'unknown'}` }];
  }
}

/**
 * body-parser's errors (http-errors with a `type`) are the client's: each gets a 4xx saying what was
 * wrong with the body, never a 500 and never an empty body handed on to the route.
 */
function bodyParserFailure(exception: unknown): [number, ErrorBody] | null {
  const { type, status, message, expose } = (exception ?? {}) as { type?: unknown; status?: unknown; message?: unknown; expose?: unknown };
  // http-errors mark theirs with `expose`; body-parser adds a `type` to most (not to a failed gunzip).
  if (typeof status !== 'number' || (typeof type !== 'string' && typeof expose !== 'boolean') || exception instanceof HttpException) return null;
  switch (type) {
    case 'entity.too.large':
      return [413, { code: ErrorCodes.PayloadTooLarge, message: 'the request body is larger than the 1 MiB limit' }];
    case 'entity.parse.failed':
      return [400, { code: ErrorCodes.ValidationFailed, message: 'the request body is not valid JSON' }];
    case 'charset.unsupported':
      return [415, { code: ErrorCodes.UnsupportedMediaType, message: `${String(message)}: send UTF-8 JSON (content-type: application/json; charset=utf-8)` }];
    case 'encoding.unsupported':
      return [415, { code: ErrorCodes.UnsupportedMediaType, message: `${String(message)}: send it uncompressed, or as gzip, deflate or br` }];
    default:
      // Aborted or truncated bodies, a length that does not match, a compressed body that does not decompress.
      if (status >= 400 && status < 500) return [status, { code: ErrorCodes.ValidationFailed, message: `the request body could not be read: ${String(message)}` }];
      return null;
  }
}
