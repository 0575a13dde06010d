import type { Request, Response } from 'express';

/** A JSON answer as the bytes Express's `res.json` would send; its ETag is worked out once. */
export interface JsonBody {
  readonly bytes: Buffer;
  etag?: string;
}

export const jsonBody = (value: unknown): JsonBody => ({ bytes: Buffer.from(JSON.stringify(value), 'utf8') });

/**
 * Sends a JsonBody with the headers `res.json` sends (content type, length, the app's ETag and the
 * 304 it allows): a kept body is not serialised, encoded or hashed again.
 */
export function sendJsonBody(req: Request, res: Response, body: JsonBody) {
  const etagOf = req.app.get('etag fn') as ((body: Buffer) => string | undefined) | undefined;
  if (typeof etagOf === 'function') {
    body.etag ??= etagOf(body.bytes);
    if (body.etag) res.set('ETag', body.etag);
  }
  res.set('Content-Type', 'application/json; charset=utf-8').send(body.bytes);
}
