/**
 * The closed error catalogue (quintus.md §4.2). Services throw these; each surface maps the
 * code to its own wire body. Anything that is not an AppError becomes `internal_error`.
 */
export const ERROR_CATALOGUE = {
  invalid_request: { status: 400, name: 'InvalidRequestError' },
  missing_api_key: { status: 401, name: 'MissingApiKeyError' },
  invalid_api_key: { status: 401, name: 'InvalidApiKeyError' },
  missing_session_token: { status: 401, name: 'MissingSessionTokenError' },
  invalid_session_token: { status: 401, name: 'InvalidSessionTokenError' },
  session_token_expired: { status: 401, name: 'SessionTokenExpiredError' },
  insufficient_scope: { status: 403, name: 'InsufficientScopeError' },
  agent_not_allowed: { status: 403, name: 'AgentNotAllowedError' },
  origin_not_allowed: { status: 403, name: 'OriginNotAllowedError' },
  session_token_scope_mismatch: { status: 403, name: 'SessionTokenScopeMismatchError' },
  not_found: { status: 404, name: 'NotFoundError' },
  method_not_allowed: { status: 405, name: 'MethodNotAllowedError' },
  conversation_closed: { status: 409, name: 'ConversationClosedError' },
  agent_unavailable: { status: 409, name: 'AgentUnavailableError' },
  user_reference_conflict: { status: 409, name: 'UserReferenceConflictError' },
  idempotency_key_reused: { status: 409, name: 'IdempotencyKeyReusedError' },
  idempotency_request_in_progress: { status: 409, name: 'IdempotencyRequestInProgressError' },
  request_too_large: { status: 413, name: 'RequestTooLargeError' },
  file_too_large: { status: 413, name: 'FileTooLargeError' },
  unsupported_media_type: { status: 415, name: 'UnsupportedMediaTypeError' },
  validation_error: { status: 422, name: 'ValidationError' },
  file_not_found: { status: 422, name: 'FileNotFoundError' },
  user_not_found: { status: 422, name: 'UserNotFoundError' },
  rate_limited: { status: 429, name: 'RateLimitedError' },
  internal_error: { status: 500, name: 'InternalError' },
  model_error: { status: 502, name: 'ModelError' },
  service_unavailable: { status: 503, name: 'ServiceUnavailableError' },
  model_timeout: { status: 504, name: 'ModelTimeoutError' },
} as const satisfies Record<string, { status: number; name: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export function httpStatusFor(code: ErrorCode): number {
  return ERROR_CATALOGUE[code].status;
}

export interface Issue {
  location: 'body' | 'query' | 'path' | 'header';
  path: string;
  message: string;
}

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly context: Record<string, unknown> = {},
    /** Extra response headers (Allow, Retry-After…). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = ERROR_CATALOGUE[code].name;
    this.status = httpStatusFor(code);
  }
}

export class NotFoundError extends AppError {
  constructor(resource: string, id: string) {
    super('not_found', `No ${resource} with id ${JSON.stringify(id)}.`, { resource, id });
  }
}

export class InvalidRequestError extends AppError {
  constructor(message: string, issues?: Issue[]) {
    super('invalid_request', message, issues ? { issues } : {});
  }
}

export class ValidationError extends AppError {
  constructor(issues: Issue[], message = 'The request is not valid.') {
    super(
      'validation_error',
      `${message} ${issues.map((i) => `${i.path || i.location}: ${i.message}`).join('; ')}`,
      {
        issues,
      },
    );
  }
}

/** A single invalid field in a request body. */
export function invalidField(
  path: string,
  message: string,
  location: Issue['location'] = 'body',
): ValidationError {
  return new ValidationError([{ location, path, message }]);
}

export class ConversationClosedError extends AppError {
  constructor(conversationId: string, status: string) {
    super('conversation_closed', `The conversation is ${status} and accepts no new messages.`, {
      conversation_id: conversationId,
      status,
    });
  }
}

export class AgentUnavailableError extends AppError {
  constructor(agentId: string, status: string) {
    super('agent_unavailable', 'The agent is not available: it is not active or has never been published.', {
      agent_id: agentId,
      status,
    });
  }
}

export class InsufficientScopeError extends AppError {
  constructor(requiredScope: string) {
    super('insufficient_scope', `This endpoint needs a secret key with the ${requiredScope} scope.`, {
      required_scope: requiredScope,
    });
  }
}

export class AgentNotAllowedError extends AppError {
  constructor(agentId: string) {
    super('agent_not_allowed', 'This key may not use that agent.', { agent_id: agentId });
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(message = 'The server is shutting down or its storage is unavailable; retry shortly.') {
    super('service_unavailable', message, {}, { 'Retry-After': '5' });
  }
}
