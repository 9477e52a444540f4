export type ErrorCode =
  | 'invalid_request'
  | 'invalid_credentials'
  | 'unauthenticated'
  | 'insufficient_credits'
  | 'csrf_failed'
  | 'invalid_signature'
  | 'forbidden'
  | 'not_found'
  | 'not_configured'
  | 'conflict'
  | 'too_large'
  | 'unsupported_type'
  | 'rate_limited'
  | 'unavailable'
  | 'upstream_error'
  | 'internal';

export const statusOf: Record<ErrorCode, number> = {
  invalid_request: 400,
  invalid_credentials: 401,
  unauthenticated: 401,
  insufficient_credits: 402,
  csrf_failed: 403,
  invalid_signature: 400,
  forbidden: 403,
  not_found: 404,
  not_configured: 404,
  conflict: 409,
  too_large: 413,
  unsupported_type: 415,
  rate_limited: 429,
  unavailable: 503,
  upstream_error: 502,
  internal: 500,
};

/** The one error type the core throws; the HTTP edge maps `code` to a status. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly options: { retryAfterSeconds?: number; details?: unknown } = {},
  ) {
    super(message);
    this.name = 'AppError';
  }

  get status(): number {
    return statusOf[this.code];
  }
}

export const notFound = (what: string) => new AppError('not_found', `${what} was not found`);
