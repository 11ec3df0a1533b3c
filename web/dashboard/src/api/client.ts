/** A tiny fetch wrapper for the management API: Bearer credential, JSON, the native error envelope. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const CREDENTIAL_KEY = 'papo.dashboard.credential';

let credential: string | null = readStored();
const listeners = new Set<() => void>();

function readStored(): string | null {
  try {
    return localStorage.getItem(CREDENTIAL_KEY);
  } catch {
    return null;
  }
}

export function getCredential(): string | null {
  return credential;
}

export function setCredential(value: string | null): void {
  credential = value;
  try {
    if (value) localStorage.setItem(CREDENTIAL_KEY, value);
    else localStorage.removeItem(CREDENTIAL_KEY);
  } catch {
    // storage blocked: the session lasts until the tab closes
  }
  for (const l of listeners) l();
}

export function onCredentialChange(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** An admin secret key can also call the Agent API itself; the operator token cannot. */
export function isAdminKey(c: string | null = credential): boolean {
  return !!c && c.startsWith('papo_sk_');
}

export async function toApiError(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    return new ApiError(res.status, body.error?.code ?? 'http_error', body.error?.message ?? res.statusText);
  } catch {
    return new ApiError(res.status, 'http_error', `HTTP ${res.status}`);
  }
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; query?: Query; token?: string } = {},
): Promise<T> {
  const token = init.token ?? credential;
  const headers: Record<string, string> = {};
  if (token) headers['Authorization'] = `Bearer ${token}`;
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(withQuery(path, init.query), {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  if (!res.ok) {
    const err = await toApiError(res);
    // a revoked admin key or a rotated operator token: back to the sign-in screen
    if (res.status === 401 && !init.token && token === credential) setCredential(null);
    throw err;
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** `/v1/admin/workspaces/{id}` + path */
export function ws(workspaceId: string, path = ''): string {
  return `/v1/admin/workspaces/${workspaceId}${path}`;
}
