import { api, getCredential, isAdminKey, toApiError, ws } from './client.ts';
import type { CreatedKey } from './types.ts';

/**
 * The playground and file downloads use the Agent API (X-API-Key), which the operator token
 * cannot call. An admin key is used as is; with the operator token the dashboard creates one
 * `agent:run` key per workspace ("Dashboard playground") and keeps it in this browser.
 */
const agentKeyName = (workspaceId: string) => `papo.dashboard.agentKey.${workspaceId}`;

function read(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}
function write(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // not persisted: a new key is made next time
  }
}

export const PLAYGROUND_KEY_NAME = 'Dashboard playground';

async function agentKey(workspaceId: string, renew = false): Promise<string> {
  const own = getCredential();
  if (isAdminKey(own)) return own!;
  const stored = renew ? null : read(agentKeyName(workspaceId));
  if (stored) return stored;
  const created = await api<CreatedKey>(ws(workspaceId, '/api-keys'), {
    method: 'POST',
    body: { type: 'secret', name: PLAYGROUND_KEY_NAME, scopes: ['agent:run'] },
  });
  write(agentKeyName(workspaceId), created.key);
  return created.key;
}

/** A call to the Agent API (`/v1/agents…`); a revoked playground key is replaced once. */
export async function agentFetch(
  workspaceId: string,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const key = await agentKey(workspaceId, attempt > 0);
    const headers: Record<string, string> = { 'X-API-Key': key, ...init.headers };
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(path, {
      method: init.method ?? 'GET',
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: init.signal,
    });
    if (res.ok) return res;
    if (res.status === 401 && attempt === 0 && !isAdminKey()) continue;
    throw await toApiError(res);
  }
}

/** Public keys created in this browser, remembered so the Embed screen can prefill the snippet. */
export interface RememberedPublicKey {
  id: string;
  name: string;
  key: string;
}
const publicKeysName = (workspaceId: string) => `papo.dashboard.publicKeys.${workspaceId}`;

export function rememberedPublicKeys(workspaceId: string): RememberedPublicKey[] {
  try {
    const v = JSON.parse(read(publicKeysName(workspaceId)) ?? '[]') as RememberedPublicKey[];
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

export function rememberPublicKey(workspaceId: string, k: RememberedPublicKey): void {
  const rest = rememberedPublicKeys(workspaceId).filter((x) => x.id !== k.id);
  write(publicKeysName(workspaceId), JSON.stringify([k, ...rest].slice(0, 20)));
}
