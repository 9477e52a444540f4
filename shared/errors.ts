import { statusOf, type ErrorCode } from './contracts/errors';

export type { ErrorCode } from './contracts/errors';

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

export const notFound = (what: string) => new AppError('not_found', `${what} was not found.`);
