import type { Page } from './types.ts';

/** A tiny fetch wrapper for the management API: Bearer credential, JSON, the native error envelope. */

/** One invalid field of a `validation_error` (`error.context.issues`). */
export interface Issue {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: Issue[] = [],
  ) {
    super(message);
  }

  /** The message of the issue on a body field (`name`), if the server named one. */
  issueAt(path: string): string | undefined {
    return this.issues.find((i) => i.path === path)?.message;
  }
}

const CREDENTIAL_KEY = 'papo.dashboard.credential';
/**
 * Storage prefixes of the keys this browser keeps per workspace (the playground's secret key,
 * the public keys for the Embed snippet): key material, forgotten on every sign-out.
 */
export const AGENT_KEY_PREFIX = 'papo.dashboard.agentKey.';
export const PUBLIC_KEYS_PREFIX = 'papo.dashboard.publicKeys.';

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

/** Signs in (a value) or out (null); signing out also forgets every key this browser kept. */
export function setCredential(value: string | null): void {
  credential = value;
  try {
    if (value) localStorage.setItem(CREDENTIAL_KEY, value);
    else {
      localStorage.removeItem(CREDENTIAL_KEY);
      for (const name of storedNames(AGENT_KEY_PREFIX, PUBLIC_KEYS_PREFIX)) localStorage.removeItem(name);
    }
  } catch {
    // storage blocked: the session lasts until the tab closes
  }
  for (const l of listeners) l();
}

/** The localStorage entries whose names start with one of the prefixes. */
export function storedNames(...prefixes: string[]): string[] {
  try {
    return Object.keys(localStorage).filter((k) => prefixes.some((p) => k.startsWith(p)));
  } catch {
    return [];
  }
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
    const body = (await res.json()) as {
      error?: { code?: string; message?: string; context?: { issues?: unknown } };
    };
    const issues = Array.isArray(body.error?.context?.issues) ? (body.error.context.issues as Issue[]) : [];
    return new ApiError(
      res.status,
      body.error?.code ?? 'http_error',
      body.error?.message ?? res.statusText,
      issues,
    );
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

/** fetch, with a failure to reach the server as an ApiError (`network_error`, status 0); aborts stay aborts. */
export async function send(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    if (init.signal?.aborted) throw err;
    throw new ApiError(0, 'network_error', (err as Error).message);
  }
}

export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; query?: Query; token?: string; signal?: AbortSignal } = {},
): Promise<T> {
  const token = init.token ?? credential;
  const headers: Record<string, string> = {};
  if (token) headers['Authorization'] = `Bearer ${token}`;
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await send(withQuery(path, init.query), {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: init.signal,
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

/** Every item of an offset-paged list (`{items, next_offset}`), reading pages of 100 to the end. */
export async function fetchAll<T>(path: string, query: Query = {}, signal?: AbortSignal): Promise<T[]> {
  const all: T[] = [];
  for (let offset: number | null = 0; offset !== null;) {
    const page: Page<T> = await api<Page<T>>(path, { query: { ...query, limit: 100, offset }, signal });
    all.push(...page.items);
    // a server that does not move forward would loop for ever
    offset = page.next_offset !== null && page.next_offset > offset ? page.next_offset : null;
  }
  return all;
}

/** `/v1/admin/workspaces/{id}` + path */
export function ws(workspaceId: string, path = ''): string {
  return `/v1/admin/workspaces/${workspaceId}${path}`;
}

/**
 * A multipart upload (one part named `file`) with progress: fetch cannot report upload
 * progress, XMLHttpRequest can. Resolves with the JSON answer; rejects with an ApiError.
 */
export function upload<T>(path: string, file: File, onProgress: (fraction: number) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    if (credential) xhr.setRequestHeader('Authorization', `Bearer ${credential}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new ApiError(0, 'network_error', 'Network error'));
    xhr.onload = () => {
      const res = new Response(xhr.status === 204 ? null : xhr.responseText, {
        status: xhr.status,
        statusText: xhr.statusText,
      });
      if (xhr.status >= 200 && xhr.status < 300) resolve(res.json() as Promise<T>);
      else void toApiError(res).then(reject);
    };
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}
