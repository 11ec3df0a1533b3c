import type { FastifyError } from 'fastify';
import {
  AppError,
  InvalidRequestError,
  NotFoundError,
  ServiceUnavailableError,
  ValidationError,
} from '../errors.js';
import { issuesFromAjv } from './validation.js';

export const JSON_BODY_LIMIT = 1024 * 1024;

/**
 * Turns whatever a route threw (our AppError, Fastify/Ajv/multipart errors, or a bug) into an
 * AppError from the closed catalogue. Unknown errors become a bare internal_error; the caller
 * logs the original, the client never sees its message.
 */
export function toAppError(err: unknown): { error: AppError; unexpected: boolean } {
  if (err instanceof AppError) return { error: err, unexpected: false };
  const e = err as Partial<FastifyError> & { validationContext?: string; statusCode?: number };
  if (Array.isArray(e.validation)) {
    const context = e.validationContext ?? 'body';
    const issues = issuesFromAjv(e.validation as never, context);
    if (context === 'params') {
      return { error: new NotFoundError('resource', issues[0]?.path ?? ''), unexpected: false };
    }
    const bodyMissing =
      context === 'body' && e.validation.some((v) => v.instancePath === '' && v.keyword === 'type');
    if (bodyMissing)
      return { error: new InvalidRequestError('A JSON object body is required.'), unexpected: false };
    const missing = e.validation.some((v) => v.keyword === 'required');
    return {
      error: missing
        ? new InvalidRequestError(`Missing required field: ${issues.map((i) => i.path).join(', ')}.`, issues)
        : new ValidationError(issues),
      unexpected: false,
    };
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        error: new AppError('request_too_large', 'The request body is larger than 1 MiB.', {
          limit_bytes: JSON_BODY_LIMIT,
        }),
        unexpected: false,
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return {
        error: new InvalidRequestError(
          'Unsupported Content-Type: send application/json (or multipart/form-data for uploads).',
        ),
        unexpected: false,
      };
    case 'FST_REQ_FILE_TOO_LARGE':
      return {
        error: new AppError('file_too_large', 'The file is larger than 25 MiB.', { limit_bytes: 26_214_400 }),
        unexpected: false,
      };
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
    case 'FST_PROTO_VIOLATION':
      return {
        error: new InvalidRequestError('The multipart body has unexpected parts: send one part named file.'),
        unexpected: false,
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { error: new InvalidRequestError('The request body is empty or malformed.'), unexpected: false };
    default:
      break;
  }
  if (e.statusCode === 413) {
    return {
      error: new AppError('request_too_large', 'The request body is too large.', {
        limit_bytes: JSON_BODY_LIMIT,
      }),
      unexpected: false,
    };
  }
  if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500) {
    return { error: new InvalidRequestError('The request could not be read.'), unexpected: false };
  }
  if (isStorageUnavailable(err)) return { error: new ServiceUnavailableError(), unexpected: true };
  return { error: new AppError('internal_error', 'An unexpected error occurred.'), unexpected: true };
}

/** Connection-level database failures (not bad queries): the client should retry later. */
export function isStorageUnavailable(err: unknown): boolean {
  for (
    let e: unknown = err, depth = 0;
    e && typeof e === 'object' && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (
      typeof code === 'string' &&
      (/^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|57P0[1-3]|53300)$/.test(code) || code.startsWith('08'))
    ) {
      return true;
    }
    if (
      typeof message === 'string' &&
      /PGlite is closed|Connection terminated|Client has encountered a connection error|Cannot use a pool after calling end/i.test(
        message,
      )
    ) {
      return true;
    }
  }
  return false;
}
