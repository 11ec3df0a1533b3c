import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type ErrorCode, type Issue } from '../../platform/errors.js';
import { toAppError } from '../../platform/http/error-mapping.js';

/** evagpt.md §1.1 slugs (`urn:papo:problem:<slug>`), their status and title. */
export const PROBLEMS = {
  'bad-request': { status: 400, title: 'Bad Request' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  forbidden: { status: 403, title: 'Forbidden' },
  'not-found': { status: 404, title: 'Not Found' },
  'method-not-allowed': { status: 405, title: 'Method Not Allowed' },
  'conversation-closed': { status: 409, title: 'Conversation Closed' },
  'agent-unavailable': { status: 409, title: 'Agent Unavailable' },
  conflict: { status: 409, title: 'Conflict' },
  'payload-too-large': { status: 413, title: 'Payload Too Large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported Media Type' },
  'rate-limited': { status: 429, title: 'Too Many Requests' },
  internal: { status: 500, title: 'Internal Server Error' },
  'bad-gateway': { status: 502, title: 'Bad Gateway' },
  /** Not in the vendor list: Papo is draining for shutdown or its storage is down (Papo decision). */
  'service-unavailable': { status: 503, title: 'Service Unavailable' },
  'gateway-timeout': { status: 504, title: 'Gateway Timeout' },
} as const;

export type ProblemSlug = keyof typeof PROBLEMS;

/** RFC 7807 body (evagpt.md §1.1); `errors` only on validation failures. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  instance: string;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}

/** An error only this surface has (e.g. an ability name already used: 409 `conflict`). */
export class EvagptProblem extends Error {
  constructor(
    readonly slug: ProblemSlug,
    detail: string,
  ) {
    super(detail);
  }
}

/** Papo error codes → slugs; a code added later falls back to its HTTP status (slugForStatus). */
const SLUG_OF: Partial<Record<ErrorCode, ProblemSlug>> = {
  invalid_request: 'bad-request',
  validation_error: 'bad-request',
  file_not_found: 'bad-request',
  user_not_found: 'bad-request',
  missing_api_key: 'unauthorized',
  invalid_api_key: 'unauthorized',
  missing_session_token: 'unauthorized',
  invalid_session_token: 'unauthorized',
  session_token_expired: 'unauthorized',
  insufficient_scope: 'forbidden',
  agent_not_allowed: 'forbidden',
  origin_not_allowed: 'forbidden',
  session_token_scope_mismatch: 'forbidden',
  not_found: 'not-found',
  method_not_allowed: 'method-not-allowed',
  conversation_closed: 'conversation-closed',
  agent_unavailable: 'agent-unavailable',
  user_reference_conflict: 'conflict',
  idempotency_key_reused: 'conflict',
  idempotency_request_in_progress: 'conflict',
  request_too_large: 'payload-too-large',
  file_too_large: 'payload-too-large',
  unsupported_media_type: 'unsupported-media-type',
  rate_limited: 'rate-limited',
  internal_error: 'internal',
  model_error: 'bad-gateway',
  service_unavailable: 'service-unavailable',
  model_timeout: 'gateway-timeout',
};

function slugForStatus(status: number): ProblemSlug {
  const byStatus: Record<number, ProblemSlug> = {
    401: 'unauthorized',
    403: 'forbidden',
    404: 'not-found',
    405: 'method-not-allowed',
    409: 'conflict',
    413: 'payload-too-large',
    415: 'unsupported-media-type',
    429: 'rate-limited',
    502: 'bad-gateway',
    503: 'service-unavailable',
    504: 'gateway-timeout',
  };
  return byStatus[status] ?? (status >= 500 ? 'internal' : 'bad-request');
}

/** EvaGPT's names for Papo's resources in not-found details. */
const RESOURCE_NAMES: Record<string, string> = {
  session: 'conversation',
  agent: 'bot',
  'knowledge base': 'dataset',
};

function detailOf(error: AppError): string {
  if (error.code === 'not_found' && typeof error.context['resource'] === 'string') {
    const resource = error.context['resource'];
    const name = RESOURCE_NAMES[resource] ?? resource;
    return `No ${name} with id ${JSON.stringify(error.context['id'] ?? '')}.`;
  }
  if (error.code === 'agent_not_allowed') return 'This key may not use that bot.';
  if (error.code === 'agent_unavailable') {
    return 'The bot is not available: it is not active or has never been published.';
  }
  return error.message;
}

export function problemBody(
  slug: ProblemSlug,
  detail: string,
  request: FastifyRequest,
  issues?: Issue[],
): Problem {
  const { status, title } = PROBLEMS[slug];
  return {
    type: `urn:papo:problem:${slug}`,
    title,
    status,
    instance: request.url.split('?')[0] ?? request.url,
    detail,
    ...(slug === 'bad-request' && issues && issues.length > 0
      ? { errors: issues.map((i) => ({ field: i.path || i.location, message: i.message })) }
      : {}),
  };
}

/** The surface's error handler: every error under /compat/evagpt answers problem+json. */
export function sendProblem(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof EvagptProblem) {
    const body = problemBody(err.slug, err.message, request);
    return reply.status(body.status).type('application/problem+json; charset=utf-8').send(body);
  }
  const { error, unexpected } = toAppError(err);
  if (unexpected) request.log.error({ err }, 'unhandled error');
  else if (error.status >= 500) request.log.warn({ code: error.code, msg: error.message }, 'request failed');
  for (const [k, v] of Object.entries(error.headers)) reply.header(k, v);
  const issues = error.context['issues'] as Issue[] | undefined;
  const slug = SLUG_OF[error.code] ?? slugForStatus(error.status);
  const body = problemBody(slug, detailOf(error), request, issues);
  return reply.status(body.status).type('application/problem+json; charset=utf-8').send(body);
}
