import { z } from 'zod';

/**
 * The one list of error codes: HTTP error bodies, the stream's `error` event and upstream
 * failures all use these, so a client handles each code in one place.
 */
export const errorCodes = [
  'invalid_request',
  'invalid_credentials',
  'unauthenticated',
  'insufficient_credits',
  'spend_cap_reached',
  'csrf_failed',
  'invalid_signature',
  'forbidden',
  'not_found',
  'not_configured',
  'conflict',
  'too_large',
  'unsupported_type',
  'rate_limited',
  /** The model provider failed or refused; not the user's fault. */
  'upstream_failed',
  /** The model provider sent nothing for UPSTREAM_IDLE_SECONDS. */
  'upstream_timeout',
  /** The instance streaming the reply stopped (a restart or crash); what was streamed is kept. */
  'interrupted',
  'unavailable',
  'internal',
] as const;

export const errorCode = z.enum(errorCodes);
export type ErrorCode = z.infer<typeof errorCode>;

export const statusOf: Record<ErrorCode, number> = {
  invalid_request: 400,
  invalid_credentials: 401,
  unauthenticated: 401,
  insufficient_credits: 402,
  spend_cap_reached: 402,
  csrf_failed: 403,
  invalid_signature: 400,
  forbidden: 403,
  not_found: 404,
  not_configured: 503,
  conflict: 409,
  too_large: 413,
  unsupported_type: 415,
  rate_limited: 429,
  upstream_failed: 502,
  upstream_timeout: 504,
  interrupted: 503,
  unavailable: 503,
  internal: 500,
};

/** Codes after which sending the same thing again may work (the UI offers Retry). */
export const retryableCodes: readonly ErrorCode[] = [
  'rate_limited',
  'upstream_failed',
  'upstream_timeout',
  'interrupted',
  'unavailable',
  'internal',
];

export const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
});
export type ErrorBody = z.infer<typeof errorBody>;
