import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, errors, reasonPhrase } from '../errors.js';
import { StoreError } from '../store/store.js';
import { validationMessages } from './validation-messages.js';

/** The one place where an error becomes an answer: the contract's envelope, causes only in the log. */
export function toApiError(err: unknown): ApiError | null {
  if (err instanceof ApiError) return err;
  if (err instanceof StoreError && err.kind === 'unavailable') return errors.unavailable();
  const fe = err as Partial<FastifyError> & { validationContext?: string };
  if (fe.validation) {
    const context = fe.validationContext ?? 'body';
    const messages = validationMessages(fe.validation, context);
    // A path or query parameter of the wrong form is a 400 (the contract); a body that breaks its
    // DTO, or a required query parameter left out, is a 422 as the real service answers both.
    const missingQuery = context === 'querystring' && fe.validation.every((e) => e.keyword === 'required');
    return context === 'body' || missingQuery ? errors.validation(messages) : errors.badParams(messages);
  }
  switch (fe.code) {
    case 'FST_ERR_BAD_URL':
      // Fastify's own message repeats the whole URL, query (and any token in it) included.
      return new ApiError(400, 'The URL is not valid: a path segment is not valid percent-encoding');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.bodyTooLarge();
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.unsupportedMediaType(String((fe as { contentType?: string }).contentType ?? 'unknown'));
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return errors.badJson('it could not be parsed');
  }
  if (err instanceof SyntaxError && fe.statusCode === 400) return errors.badJson(err.message);
  // Fastify's own client errors (bad content length, aborted body, ...) keep their status.
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new ApiError(fe.statusCode, fe.message ?? reasonPhrase(fe.statusCode));
  }
  return null;
}

/**
 * Errors of Fastify's router (a malformed URL, an over-long parameter) that never reach the
 * error handler: answered in the same envelope.
 */
export function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const api = toApiError(err) ?? errors.internal();
  void reply.code(api.status).send(api.body);
}

/** A URL without its query string (which may carry a token): what logs and answers may show. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** A whole raw HTTP answer in the envelope that closes the connection: for what Node answers before Fastify. */
function rawAnswer(status: number, message: string): string {
  const body = JSON.stringify({ statusCode: status, message, error: reasonPhrase(status) });
  return (
    `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

/** Requests Node's HTTP parser refuses before Fastify sees them: answered in the envelope, then closed. */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  socket.end(rawAnswer(status, reasonPhrase(status)));
}

/**
 * A request whose Transfer-Encoding names a coding besides `chunked` (`gzip, chunked`, ...): Node
 * would read its body as chunked and hand the route bytes nobody decoded, or wait for the end of
 * a body that never comes. Refused at once, as bad input (a 400: RFC 9112's 501 would read as the
 * server failing), and the connection closed without reading the body. `identity` (no coding at
 * all) is let through, as Node reads it: no body.
 */
export function refuseTransferCoding(req: IncomingMessage, res: ServerResponse): boolean {
  const codings = req.headers['transfer-encoding'];
  if (codings === undefined) return false;
  const lower = codings.toLowerCase();
  if (lower === 'chunked' || lower === 'identity') return false;
  const { status, body } = errors.transferCodingUnsupported(codings);
  answerAndClose(res, status, JSON.stringify(body));
  return true;
}

/** An answer in the envelope, on a response Node gave us before Fastify; the connection then closes. */
function answerAndClose(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
  response.end(body);
}

/** Requests Node would answer bare (CONNECT, an Expect other than 100-continue): in the envelope instead. */
export function installRawAnswers(server: Server): void {
  server.on('connect', (request: IncomingMessage, socket: Socket) => {
    socket.end(rawAnswer(404, `Cannot CONNECT ${pathOf(request.url ?? '')}`));
  });
  server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    answerAndClose(response, 417, JSON.stringify({ statusCode: 417, message: `Expectation not supported: ${String(request.headers.expect)}`, error: reasonPhrase(417) }));
  });
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const api = toApiError(err);
    if (api) {
      if (api.status >= 500) request.log.error({ err }, 'request failed');
      // Keep the connection, so Node reads and discards the rest of an oversized body and the
      // client, still sending it, gets the 413 instead of a reset.
      if (api.status === 413) reply.removeHeader('connection');
      return reply.code(api.status).send(api.body);
    }
    request.log.error({ err }, 'unexpected error');
    const internal = errors.internal();
    return reply.code(internal.status).send(internal.body);
  });
  app.setNotFoundHandler((request, reply) => {
    // The path only: a query string may carry a token, and an answer never repeats one.
    const e = errors.routeNotFound(request.method, pathOf(request.url));
    return reply.code(e.status).send(e.body);
  });
}
