import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

/** The one place where errors become HTTP answers: typed errors keep their code, anything else is a 500. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError | Error, request, reply) => {
    const appError = toAppError(err);
    if (appError.status >= 500) request.log.error({ err }, 'request failed');
    reply.code(appError.status).send(appError.toJSON());
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(new AppError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`).toJSON());
  });
}

export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const fe = err as FastifyError;
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('invalid_json', `malformed JSON body: ${fe.message}`);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload_too_large', 'request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('invalid_request', 'unsupported content type: send application/json');
  }
  if (err instanceof SyntaxError) return new AppError('invalid_json', `malformed JSON body: ${err.message}`);
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new AppError('invalid_request', fe.message);
  }
  return new AppError('internal', 'internal error; see the server log');
}

/**
 * Errors the router raises before any route or error handler runs (Fastify's `frameworkErrors` option): a URL
 * that is not valid percent-encoding, a path parameter over maxParamLength. Without this they answer Fastify's own
 * `{ error: "Bad Request", code: "FST_ERR_…" }`, not ours.
 */
export function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
  const message = tooLong ? 'a path parameter is too long' : 'malformed URL: a path segment is not valid percent-encoding';
  // 414 stays 414 (URI Too Long): the status says what happened, the body carries our code.
  reply.code(tooLong ? 414 : 400).send(new AppError('invalid_request', message).toJSON());
}
