/**
 * The error bodies CONTRACT.md fixes, written out independently of `src/errors.ts` so that a test
 * comparing an answer byte for byte (`text === JSON.stringify(body)`) checks the contract, key order
 * included, not the server against itself.
 */
export const contractErrors = {
  versionMissing: { statusCode: 401, message: 'version header was not found.' },
  versionInvalid: { statusCode: 401, message: 'version header is invalid' },
  invalidToken: { statusCode: 401, message: 'Invalid token: access token is invalid', error: 'Unauthorized' },
  scopeMissing: { statusCode: 401, message: 'The token is not authorized for this scope.', error: 'Unauthorized' },
  locationForbidden: { statusCode: 403, message: 'The token does not have access to this location.', error: 'Forbidden' },
  badObjectId: (param: string) => ({ statusCode: 400, message: [`${param} must be a mongodb id`], error: 'Bad Request' }),
  objectNotFound: (schemaKey: string) => ({ statusCode: 404, message: `Custom Object (${schemaKey}) not found`, error: 'Not Found' }),
  recordNotFound: { statusCode: 404, message: 'Record not found', error: 'Not Found' },
  /** contact / opportunity on the records endpoints (the contract fixes only "400 with a message saying so"). */
  unsupportedObject: { statusCode: 400, message: 'Api does not support objectKey of type contact or opportunity', error: 'Bad Request' },
  routeNotFound: (method: string, path: string) => ({ statusCode: 404, message: `Cannot ${method} ${path}`, error: 'Not Found' }),
} as const;
