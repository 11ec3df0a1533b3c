import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { App } from '../src/platform/http/types.js';
import { isUuidV7 } from '../src/platform/ids.js';

/** A timestamp as the API writes it: ISO 8601, UTC, milliseconds. */
export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** A well-formed UUIDv7 that names no row. */
export const MISSING_ID = '01900000-0000-7000-8000-000000000000';

export type Headers = Record<string, string>;
export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';

/** The §4.1 error envelope. */
export interface ErrorBody {
  error: { code: string; name: string; message: string; context: Record<string, unknown> };
  request_id: string;
  timestamp: string;
}

export const bearer = (token: string): Headers => ({ authorization: `Bearer ${token}` });

/** One injected request; `payload` is sent as JSON when given. */
export function call(app: App, method: Method, url: string, headers: Headers, payload?: unknown) {
  return app.inject({
    method,
    url,
    headers,
    ...(payload !== undefined && { payload: payload as Record<string, unknown> }),
  });
}

/**
 * Checks the §4.1 envelope: status, JSON, exactly `error`/`request_id`/`timestamp`, an error with
 * exactly `code`/`context`/`message`/`name`, a UUIDv7 request id and an ISO timestamp. The request id
 * is not tied to this response: a replayed (idempotent) response carries the first request's.
 */
export function expectErrorEnvelope(res: LightMyRequestResponse, status: number, code: string): ErrorBody {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json<ErrorBody>();
  expect(Object.keys(body).sort()).toEqual(['error', 'request_id', 'timestamp']);
  expect(Object.keys(body.error).sort()).toEqual(['code', 'context', 'message', 'name']);
  expect(body.error.code).toBe(code);
  expect(body.error.name).toMatch(/^[A-Z][A-Za-z]+Error$/);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(body.error.context).toBeTypeOf('object');
  expect(isUuidV7(body.request_id)).toBe(true);
  expect(body.timestamp).toMatch(ISO_MS);
  expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
  return body;
}

/** {@link expectErrorEnvelope}, and the body's `request_id` is this response's X-Request-Id. */
export function expectError(res: LightMyRequestResponse, status: number, code: string): ErrorBody {
  const body = expectErrorEnvelope(res, status, code);
  expect(body.request_id).toBe(res.headers['x-request-id']);
  return body;
}

/** The `path`s of a validation error's issues, in order. */
export const issuePaths = (b: ErrorBody) =>
  (b.error.context['issues'] as Array<{ path: string }>).map((i) => i.path);

/** The error minus what differs per request (ids, timestamps). */
export const comparable = (b: ErrorBody) => ({
  code: b.error.code,
  name: b.error.name,
  context: Object.keys(b.error.context),
});
