/**
 * Typed errors with stable codes. Every module throws these; the HTTP boundary maps them once
 * (see platform/http/errors.ts) and the CLI prints their message.
 */
export type ErrorCode =
  | 'invalid_request'
  | 'invalid_json'
  | 'payload_too_large'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'data_dir_locked'
  | 'insufficient_points'
  | 'out_of_stock'
  | 'limit_reached'
  | 'coupon_not_applicable'
  | 'too_many_attempts'
  | 'workspace_choice_required'
  | 'database_unreachable'
  | 'internal';

const statusByCode: Record<ErrorCode, number> = {
  invalid_request: 400,
  invalid_json: 400,
  payload_too_large: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  data_dir_locked: 409,
  insufficient_points: 409,
  out_of_stock: 409,
  limit_reached: 409,
  coupon_not_applicable: 422,
  too_many_attempts: 429,
  workspace_choice_required: 409,
  database_unreachable: 503,
  internal: 500,
};

export interface ErrorDetail {
  /** Where the problem is: a JSON path such as `batch[3].userId` or `rule.and[1].op`. */
  path?: string;
  /** Index of the offending message within a batch. */
  index?: number;
  message: string;
}

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'AppError';
    this.status = statusByCode[code];
  }

  toJSON() {
    return { error: { code: this.code, message: this.message, ...(this.details.length ? { details: this.details } : {}) } };
  }
}

export const invalid = (message: string, details: ErrorDetail[] = []) => new AppError('invalid_request', message, details);
export const notFound = (what: string) => new AppError('not_found', `${what} not found`);
export const unauthorized = (message = 'missing or invalid credentials') => new AppError('unauthorized', message);
