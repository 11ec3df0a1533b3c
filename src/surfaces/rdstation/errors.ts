import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorObject } from 'ajv';
import { AgentNameTakenError } from '../../features/agents/agents.errors.js';
import type { ErrorCode, Issue } from '../../platform/errors.js';
import { toAppError } from '../../platform/http/error-mapping.js';
import { issuesFromAjv, toIssuePath } from '../../platform/http/validation.js';

/** rdstation.md §1.2: `{ message, code, issues? }`. */
export interface RdErrorBody {
  message: string;
  code: string;
  issues?: Array<{ message: string }>;
}

const RD_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_SUPPORTED',
  409: 'CONFLICT',
  412: 'PRECONDITION_FAILED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL_SERVER_ERROR',
  502: 'BAD_GATEWAY',
  // not in the vendor's catalogue: only while the server drains or its storage is down
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
};

/** Papo codes whose RD status differs from the native one. */
const RD_STATUS: Partial<Record<ErrorCode, number>> = {
  validation_error: 400,
  file_not_found: 400,
  user_not_found: 400,
  agent_unavailable: 412,
  idempotency_key_reused: 409,
};

/** A request the RD surface refuses itself, with its status and message. */
export class RdHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** Ajv errors as `"<field path>: <problem>"`, naming unknown properties (R11). */
function ajvIssues(errors: ErrorObject[], context: string): Issue[] {
  const extra = errors.filter((e) => e.keyword === 'additionalProperties');
  const rest = errors.filter((e) => e.keyword !== 'additionalProperties');
  const issues = issuesFromAjv(rest, context);
  for (const e of extra) {
    issues.push({
      location: 'body',
      path: toIssuePath(e.instancePath, String(e.params['additionalProperty'])),
      message: 'is not a known field',
    });
  }
  return issues;
}

export function rdErrorOf(err: unknown): {
  status: number;
  body: RdErrorBody;
  headers: Record<string, string>;
  unexpected: boolean;
} {
  if (err instanceof RdHttpError) {
    return {
      status: err.status,
      body: { message: err.message, code: RD_CODES[err.status] ?? 'INTERNAL_SERVER_ERROR' },
      headers: err.headers,
      unexpected: false,
    };
  }
  const fe = err as Partial<FastifyError> & { validationContext?: string };
  if (Array.isArray(fe.validation) && fe.validationContext !== 'params') {
    const issues = ajvIssues(fe.validation as ErrorObject[], fe.validationContext ?? 'body');
    const bodyMissing =
      issues.length === 0 || issues.some((i) => i.path === '' && /must be object/.test(i.message));
    return {
      status: 400,
      body: {
        message: bodyMissing ? 'A JSON object body is required.' : 'The request is not valid.',
        code: 'BAD_REQUEST',
        issues: issues.map((i) => ({ message: `${i.path || i.location}: ${i.message}` })),
      },
      headers: {},
      unexpected: false,
    };
  }
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || fe.code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') {
    return {
      status: 415,
      body: { message: 'Send the body as application/json.', code: 'UNSUPPORTED_MEDIA_TYPE' },
      headers: {},
      unexpected: false,
    };
  }
  const { error, unexpected } = toAppError(err);
  const status = err instanceof AgentNameTakenError ? 409 : (RD_STATUS[error.code] ?? error.status);
  const issues = error.context['issues'];
  const body: RdErrorBody = {
    message: error.status === 413 ? 'The request body is too large.' : error.message,
    code: RD_CODES[status] ?? 'INTERNAL_SERVER_ERROR',
  };
  if (Array.isArray(issues) && status === 400) {
    body.issues = (issues as Issue[]).map((i) => ({ message: `${i.path || i.location}: ${i.message}` }));
  }
  return { status, body, headers: error.headers, unexpected };
}

export function sendRdError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body, headers, unexpected } = rdErrorOf(err);
  if (unexpected) request.log.error({ err }, 'unhandled error');
  else if (status >= 500) request.log.warn({ code: body.code, msg: body.message }, 'request failed');
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  return reply.status(status).type('application/json; charset=utf-8').send(body);
}
