/**
 * The error catalogue: every error the API answers with, as the real service words it.
 * Imports nothing, so every layer (services, stores, HTTP) can throw these without a cycle.
 */

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  417: 'Expectation Failed',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? 'Error';
}

/** The JSON body of every error answer: NestJS style, as the contract fixes it. */
export interface ErrorBody {
  statusCode: number;
  message: string | string[];
  error?: string;
  [extra: string]: unknown;
}

/** An error that becomes exactly one HTTP answer; `body` is sent as it is. */
export class ApiError extends Error {
  readonly status: number;
  readonly body: ErrorBody;

  constructor(status: number, message: string | string[], options: { error?: string | null; extra?: Record<string, unknown> } = {}) {
    super(Array.isArray(message) ? message.join('; ') : message);
    this.name = 'ApiError';
    this.status = status;
    const body: ErrorBody = { statusCode: status, message };
    // `error: null` leaves the reason phrase out, as some of the real service's bodies do.
    if (options.error !== null) body.error = options.error ?? reasonPhrase(status);
    if (options.extra) Object.assign(body, options.extra);
    this.body = body;
  }
}

export const errors = {
  versionMissing: () => new ApiError(401, 'version header was not found.', { error: null }),
  versionInvalid: () => new ApiError(401, 'version header is invalid', { error: null }),
  invalidToken: () => new ApiError(401, 'Invalid token: access token is invalid'),
  scopeMissing: () => new ApiError(401, 'The token is not authorized for this scope.'),
  locationForbidden: () => new ApiError(403, 'The token does not have access to this location.'),
  badParams: (messages: string[]) => new ApiError(400, messages),
  validation: (messages: string[]) => new ApiError(422, messages),
  objectNotFound: (schemaKey: string) => new ApiError(404, `Custom Object (${schemaKey}) not found`),
  recordNotFound: () => new ApiError(404, 'Record not found'),
  unsupportedObject: () => new ApiError(400, 'Api does not support objectKey of type contact or opportunity'),
  routeNotFound: (method: string, url: string) => new ApiError(404, `Cannot ${method} ${url}`),
  bodyTooLarge: () => new ApiError(413, 'request entity too large'),
  unsupportedMediaType: (type: string) => new ApiError(415, `Unsupported Media Type: ${type}`),
  transferCodingUnsupported: (codings: string) => new ApiError(400, `Transfer-Encoding ${codings} is not supported: only chunked is`),
  badJson: (detail: string) => new ApiError(400, `Body is not valid JSON: ${detail}`),
  nulCharacter: () => new ApiError(400, 'Body strings must not contain NUL (\\u0000) characters'),
  tooManyRequests: () => new ApiError(429, 'Too Many Requests'),
  unavailable: () => new ApiError(503, 'Service temporarily unavailable'),
  internal: () => new ApiError(500, 'Internal server error', { error: null }),
} as const;
