import {
  AGENT_KEY_PREFIX,
  api,
  fetchAll,
  getCredential,
  isAdminKey,
  PUBLIC_KEYS_PREFIX,
  send,
  setCredential,
  storedNames,
  toApiError,
  ws,
} from './client.ts';
import type { ApiKey, CreatedKey } from './types.ts';

/**
 * The playground and file downloads use the Agent API (X-API-Key), which the operator token
 * cannot call. An admin key is used as is; with the operator token the dashboard creates one
 * `agent:run` key per workspace ("Dashboard playground") and keeps it (id and plaintext) in
 * this browser until sign-out.
 */
const agentKeyName = (workspaceId: string) => `${AGENT_KEY_PREFIX}${workspaceId}`;

interface StoredAgentKey {
  /** Absent in entries written before the id was kept: found again by its prefix. */
  id?: string;
  key: string;
}

function readAgentKey(name: string): StoredAgentKey | null {
  const raw = read(name);
  if (!raw) return null;
  if (!raw.startsWith('{')) return { key: raw };
  try {
    const v = JSON.parse(raw) as StoredAgentKey;
    return typeof v.key === 'string' ? v : null;
  } catch {
    return null;
  }
}

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
  const stored = renew ? null : readAgentKey(agentKeyName(workspaceId));
  if (stored) return stored.key;
  const created = await api<CreatedKey>(ws(workspaceId, '/api-keys'), {
    method: 'POST',
    body: { type: 'secret', name: PLAYGROUND_KEY_NAME, scopes: ['agent:run'] },
  });
  write(agentKeyName(workspaceId), JSON.stringify({ id: created.id, key: created.key }));
  return created.key;
}

/** Revokes one kept playground key with the current credential. */
async function revokeAgentKey(workspaceId: string, stored: StoredAgentKey, signal: AbortSignal) {
  let id = stored.id;
  if (!id) {
    const keys = await fetchAll<ApiKey>(ws(workspaceId, '/api-keys'), {}, signal);
    id = keys.find(
      (k) => k.name === PLAYGROUND_KEY_NAME && !k.revoked_at && stored.key.startsWith(k.prefix),
    )?.id;
  }
  if (id) await api<void>(ws(workspaceId, `/api-keys/${id}`), { method: 'DELETE', signal });
}

/**
 * The Sign out button: revokes the playground keys this browser created while the credential
 * still works (best-effort, a few seconds at most), then signs out, which forgets every kept key.
 */
export async function signOut(): Promise<void> {
  const signal = AbortSignal.timeout(5_000);
  await Promise.allSettled(
    storedNames(AGENT_KEY_PREFIX).map((name) => {
      const stored = readAgentKey(name);
      return stored ? revokeAgentKey(name.slice(AGENT_KEY_PREFIX.length), stored, signal) : Promise.resolve();
    }),
  );
  setCredential(null);
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
    const res = await send(path, {
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
const publicKeysName = (workspaceId: string) => `${PUBLIC_KEYS_PREFIX}${workspaceId}`;

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
