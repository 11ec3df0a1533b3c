import { and, desc, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.js';
import { randomAlphanumeric, sha256Hex } from '../../platform/crypto.js';
import type { Db } from '../../platform/db/client.js';
import { preparedQuery } from '../../platform/db/prepared.js';
import { agents, apiKeys, workspaces } from '../../platform/db/schema/index.js';
import { AppError, invalidField, NotFoundError } from '../../platform/errors.js';
import { isUuid, newId } from '../../platform/ids.js';
import { toPage, type Page } from '../../platform/http/pagination.js';
import { getWorkspaceOrThrow } from '../workspaces/workspaces.repo.js';
import type { KeyPrincipal, Scope } from './principal.js';

type ApiKeyRow = typeof apiKeys.$inferSelect;

export interface ApiKey {
  id: string;
  name: string;
  type: 'secret' | 'public';
  prefix: string;
  scopes: string[];
  agent_ids: string[] | null;
  allowed_origins: string[] | null;
  rate_limit_per_minute: number | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface CreateKeyInput {
  type: 'secret' | 'public';
  name: string;
  scopes?: Scope[];
  agent_ids?: string[] | null;
  allowed_origins?: string[] | null;
  rate_limit_per_minute?: number | null;
}

const KEY_RE = /^papo_(sk|pk)_[A-Za-z0-9]{40}$/;
const ORIGIN_RE = /^https?:\/\/(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*(:\d{1,5})?$/i;

export function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    prefix: row.prefix,
    scopes: row.scopes,
    agent_ids: row.agentIds ?? null,
    allowed_origins: row.allowedOrigins ?? null,
    rate_limit_per_minute: row.rateLimitPerMinute,
    created_at: row.createdAt.toISOString(),
    last_used_at: row.lastUsedAt?.toISOString() ?? null,
    revoked_at: row.revokedAt?.toISOString() ?? null,
  };
}

export interface KeysService {
  createKey(workspaceId: string, input: CreateKeyInput): Promise<ApiKey & { key: string }>;
  listKeys(workspaceId: string, page: { limit: number; offset: number }): Promise<Page<ApiKey>>;
  revokeKey(workspaceId: string, keyId: string): Promise<void>;
  /** Whether a key still authenticates (not revoked, workspace not deleted): session tokens die with it. */
  isKeyLive(keyId: string): Promise<boolean>;
  /** Resolves a presented key; unknown, malformed, revoked or of a deleted workspace → 401. */
  authenticate(presented: string): Promise<KeyPrincipal>;
}

export function createKeysService(deps: { db: Db; clock: Clock }): KeysService {
  const { db, clock } = deps;

  async function assertAgentsInWorkspace(workspaceId: string, ids: string[]): Promise<void> {
    for (const [i, id] of ids.entries()) {
      const found =
        isUuid(id) &&
        (
          await db
            .select({ id: agents.id })
            .from(agents)
            .where(and(eq(agents.id, id), eq(agents.workspaceId, workspaceId), isNull(agents.deletedAt)))
        ).length > 0;
      if (!found) throw invalidField(`agent_ids[${i}]`, 'is not an agent of this workspace');
    }
  }

  return {
    async createKey(workspaceId, input) {
      await getWorkspaceOrThrow(db, workspaceId);
      if (input.type === 'public' && input.scopes && input.scopes.length > 0) {
        throw invalidField('scopes', 'public keys carry no scopes');
      }
      if (input.type === 'secret' && input.allowed_origins && input.allowed_origins.length > 0) {
        throw invalidField('allowed_origins', 'only public keys carry allowed origins');
      }
      for (const [i, o] of (input.allowed_origins ?? []).entries()) {
        if (!ORIGIN_RE.test(o)) throw invalidField(`allowed_origins[${i}]`, 'must be scheme://host[:port]');
      }
      const agentIds = input.agent_ids ? [...new Set(input.agent_ids)] : null;
      if (agentIds) await assertAgentsInWorkspace(workspaceId, agentIds);

      const key = `papo_${input.type === 'secret' ? 'sk' : 'pk'}_${randomAlphanumeric(40)}`;
      const scopes: Scope[] =
        input.type === 'secret' ? [...new Set<Scope>(input.scopes ?? ['agent:run'])] : [];
      const [row] = await db
        .insert(apiKeys)
        .values({
          id: newId(),
          workspaceId,
          type: input.type,
          name: input.name,
          hash: sha256Hex(key),
          prefix: key.slice(0, 12),
          scopes,
          agentIds,
          allowedOrigins:
            input.allowed_origins && input.allowed_origins.length > 0 ? input.allowed_origins : null,
          rateLimitPerMinute: input.rate_limit_per_minute ?? null,
          createdAt: clock.now(),
        })
        .returning();
      return { ...toApiKey(row!), key };
    },

    async listKeys(workspaceId, page) {
      await getWorkspaceOrThrow(db, workspaceId);
      const rows = await db
        .select()
        .from(apiKeys)
        .where(eq(apiKeys.workspaceId, workspaceId))
        .orderBy(desc(apiKeys.id))
        .limit(page.limit + 1)
        .offset(page.offset);
      return toPage(rows, page, toApiKey);
    },

    async revokeKey(workspaceId, keyId) {
      await getWorkspaceOrThrow(db, workspaceId);
      if (!isUuid(keyId)) throw new NotFoundError('api_key', keyId);
      const revoked = await db
        .update(apiKeys)
        .set({ revokedAt: clock.now() })
        .where(and(eq(apiKeys.id, keyId), eq(apiKeys.workspaceId, workspaceId), isNull(apiKeys.revokedAt)))
        .returning({ id: apiKeys.id });
      if (revoked.length === 0) throw new NotFoundError('api_key', keyId);
    },

    async isKeyLive(keyId) {
      if (!isUuid(keyId)) return false;
      const rows = await db
        .select({ id: apiKeys.id })
        .from(apiKeys)
        .innerJoin(workspaces, eq(workspaces.id, apiKeys.workspaceId))
        .where(and(eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt), isNull(workspaces.deletedAt)));
      return rows.length > 0;
    },

    async authenticate(presented) {
      if (!KEY_RE.test(presented)) throw invalidKey();
      const [row] = await keyByHash(db).execute({ hash: sha256Hex(presented) });
      if (!row) throw invalidKey();
      const k = row.key;
      // last_used_at is advisory: written at most once a minute per key, off the request path
      // (the row just read says whether this minute's write happened; no statement otherwise).
      const now = clock.now();
      if (!k.lastUsedAt || k.lastUsedAt.getTime() < now.getTime() - 60_000)
        db.update(apiKeys)
          .set({ lastUsedAt: now })
          .where(
            and(
              eq(apiKeys.id, k.id),
              or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, new Date(now.getTime() - 60_000))),
            ),
          )
          .then(
            () => undefined,
            () => undefined,
          );
      return {
        kind: 'key',
        keyId: k.id,
        workspaceId: k.workspaceId,
        type: k.type,
        scopes: k.scopes as Scope[],
        agentIds: k.agentIds ?? null,
        rateLimitPerMinute: k.rateLimitPerMinute,
        allowedOrigins: k.allowedOrigins ?? null,
      };
    },
  };
}

/** A live key (not revoked, workspace not deleted) by its hash: every authenticated request. */
const keyByHash = preparedQuery((db) =>
  db
    .select({ key: apiKeys })
    .from(apiKeys)
    .innerJoin(workspaces, eq(workspaces.id, apiKeys.workspaceId))
    .where(
      and(eq(apiKeys.hash, sql.placeholder('hash')), isNull(apiKeys.revokedAt), isNull(workspaces.deletedAt)),
    )
    .prepare('papo_key_by_hash'),
);

function invalidKey(): AppError {
  return new AppError('invalid_api_key', 'The API key is malformed, unknown or revoked.');
}
