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
    const type = (exception as { type?: string })?.type;
    if (type === 'entity.too.large') {
      return [413, { code: ErrorCodes.PayloadTooLarge, message: 'the request body is larger than the 1 MiB limit' }];
    }
    if (type === 'entity.parse.failed') {
      return [400, { code: ErrorCodes.ValidationFailed, message: 'the request body is not valid JSON' }];
    }
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
