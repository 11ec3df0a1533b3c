import type { ErrorObject } from 'ajv';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  AgentLimitReachedError,
  AgentNameTakenError,
  DraftHasNoModelError,
} from '../../features/agents/agents.errors.js';
import { AppError, type Issue } from '../../platform/errors.js';
import { toAppError } from '../../platform/http/error-mapping.js';
import { issuesFromAjv, toIssuePath } from '../../platform/http/validation.js';

/** gennia.md §1.2: `{code, message, details}`. */
export interface GenniaErrorBody {
  code: string;
  message: string;
  details: unknown[];
}

export type ValidationDetail = { field: string | null; message: string };

/**
 * An error in Gennia's own terms (codes the native catalogue has no word for: TIMEOUT,
 * TEMPERATURE_NOT_SUPPORTED, …). Its native code only matters if it ever leaks elsewhere.
 */
export class GenniaError extends AppError {
  constructor(
    readonly genniaCode: string,
    readonly httpStatus: number,
    message: string,
    readonly details: unknown[] = [],
    headers: Record<string, string> = {},
  ) {
    super(httpStatus >= 500 ? 'internal_error' : 'validation_error', message, {}, headers);
  }
}

export function validationError(
  details: ValidationDetail[],
  message = 'Request validation failed',
): GenniaError {
  return new GenniaError('VALIDATION_ERROR', 400, message, details);
}

/** `content[0].text` (native issue path) → `content.0.text` (Gennia dotted path); '' → null. */
export function dottedField(path: string): string | null {
  if (path === '') return null;
  return path.replace(/\[(\d+)\]/g, '.$1').replace(/^\./, '');
}

function detailsFromIssues(issues: unknown): ValidationDetail[] {
  if (!Array.isArray(issues)) return [];
  return (issues as Issue[]).map((i) => ({ field: dottedField(i.path), message: i.message }));
}

/** Ajv errors → `{field, message}`; unknown properties are named by their own path. */
export function detailsFromAjv(errors: ErrorObject[], context: string): ValidationDetail[] {
  const details: ValidationDetail[] = [];
  const rest: ErrorObject[] = [];
  for (const e of errors) {
    if (e.keyword === 'additionalProperties') {
      const path = toIssuePath(e.instancePath, String(e.params['additionalProperty']));
      details.push({ field: dottedField(path), message: 'is not allowed' });
    } else if (e.keyword === 'type' && e.instancePath === '' && context === 'body') {
      details.push({ field: null, message: 'a JSON object body is required' });
    } else {
      rest.push(e);
    }
  }
  for (const i of issuesFromAjv(rest, context))
    details.push({ field: dottedField(i.path), message: i.message });
  return details;
}

const AGENT_STATE_CODES: Record<string, [number, string]> = {
  draft: [422, 'AGENT_NOT_PUBLISHED'],
  deleted: [404, 'AGENT_NOT_FOUND'],
};

const NOT_FOUND_CODES: Record<string, string> = {
  agent: 'AGENT_NOT_FOUND',
  session: 'CONVERSATION_NOT_FOUND',
  conversation: 'CONVERSATION_NOT_FOUND',
  version: 'VERSION_NOT_FOUND',
  ai_model: 'AI_MODEL_NOT_FOUND',
};

/** The one mapping from whatever a Gennia route threw to Gennia's status, body and headers. */
export function toGenniaError(err: unknown): {
  status: number;
  body: GenniaErrorBody;
  headers: Record<string, string>;
  unexpected: boolean;
} {
  const out = (
    status: number,
    code: string,
    message: string,
    details: unknown[] = [],
    headers: Record<string, string> = {},
  ) => ({
    status,
    body: { code, message, details },
    headers,
    unexpected: false,
  });
  if (err instanceof GenniaError) {
    return out(err.httpStatus, err.genniaCode, err.message, err.details, err.headers);
  }
  const e = err as { validation?: ErrorObject[]; validationContext?: string; code?: string };
  if (Array.isArray(e.validation)) {
    return out(
      400,
      'VALIDATION_ERROR',
      'Request validation failed',
      detailsFromAjv(e.validation, e.validationContext ?? 'body'),
    );
  }
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return out(415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the request body as application/json.');
  }
  if (err instanceof AgentNameTakenError) {
    return out(409, 'AGENT_NAME_TAKEN', 'Another agent of this workspace already has this name.');
  }
  if (err instanceof AgentLimitReachedError) {
    return out(422, 'AGENT_LIMIT_REACHED', 'This workspace has reached its agent limit.');
  }
  if (err instanceof DraftHasNoModelError) {
    return out(422, 'DRAFT_HAS_NO_AI_MODEL', 'The draft has no AI model; set one before publishing.');
  }
  const { error, unexpected } = toAppError(err);
  const h = error.headers;
  switch (error.code) {
    case 'invalid_request':
    case 'validation_error':
      return out(400, 'VALIDATION_ERROR', error.message, fallbackDetails(error));
    case 'missing_api_key':
    case 'missing_session_token':
      return out(401, 'MISSING_API_KEY', 'Send your Papo secret key in X-Api-Key or Authorization: Bearer.');
    case 'invalid_api_key':
    case 'invalid_session_token':
    case 'session_token_expired':
      return out(401, 'INVALID_API_KEY', 'The API key is unknown or revoked.');
    case 'insufficient_scope':
    case 'session_token_scope_mismatch':
    case 'origin_not_allowed':
      return out(403, 'INSUFFICIENT_SCOPE', error.message);
    case 'agent_not_allowed':
      return out(403, 'AGENT_NOT_ALLOWED', 'This key may not use that agent.');
    case 'not_found': {
      const resource = String(error.context['resource'] ?? '');
      return out(404, NOT_FOUND_CODES[resource] ?? 'ENDPOINT_NOT_SUPPORTED', error.message);
    }
    case 'method_not_allowed':
      return out(405, 'METHOD_NOT_ALLOWED', error.message, [], h);
    case 'conversation_closed':
      return out(422, 'CONVERSATION_ENDED', 'The conversation has ended and accepts no new messages.');
    case 'agent_unavailable': {
      const [status, code] = AGENT_STATE_CODES[String(error.context['status'])] ?? [422, 'AGENT_NOT_ACTIVE'];
      return out(status, code, agentStateMessage(code));
    }
    case 'request_too_large':
      return out(413, 'PAYLOAD_TOO_LARGE', 'The request body is too large.');
    case 'file_too_large':
      return out(422, 'ATTACHMENT_TOO_LARGE', 'An attachment is larger than 25 MiB.');
    case 'unsupported_media_type':
      return out(400, 'UNSUPPORTED_MEDIA_TYPE', error.message);
    case 'rate_limited':
      return out(429, 'RATE_LIMITED', error.message, [], h);
    case 'model_error':
      return out(502, 'UPSTREAM_ERROR', error.message);
    case 'model_timeout':
      return out(504, 'MODEL_TIMEOUT', error.message);
    case 'service_unavailable':
      return out(503, 'SERVICE_UNAVAILABLE', error.message, [], h);
    case 'internal_error':
      return { ...out(500, 'INTERNAL_ERROR', 'An unexpected error occurred.'), unexpected };
    default:
      // the remaining native codes (idempotency, users, files by id) have no Gennia route
      return out(
        error.status >= 500 ? 500 : 400,
        error.status >= 500 ? 'INTERNAL_ERROR' : 'VALIDATION_ERROR',
        error.message,
      );
  }
}

function fallbackDetails(error: AppError): ValidationDetail[] {
  const details = detailsFromIssues(error.context['issues']);
  return details.length > 0 ? details : [{ field: null, message: error.message }];
}

function agentStateMessage(code: string): string {
  if (code === 'AGENT_NOT_PUBLISHED') return 'The agent has no published version.';
  if (code === 'AGENT_NOT_FOUND') return 'The agent does not exist.';
  return 'The agent is not active.';
}

export function sendGenniaError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const mapped = toGenniaError(err);
  if (mapped.unexpected) request.log.error({ err }, 'unhandled error');
  else if (mapped.status >= 500) request.log.warn({ code: mapped.body.code }, 'request failed');
  for (const [k, v] of Object.entries(mapped.headers)) reply.header(k, v);
  return reply.status(mapped.status).type('application/json; charset=utf-8').send(mapped.body);
}
