import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import type { Db } from '../../platform/db/client.js';
import { AgentNotAllowedError, AppError, invalidField } from '../../platform/errors.js';
import type { ModelGateway } from '../../platform/llm/gateway.js';
import type { AgentsService } from '../../features/agents/agents.service.js';
import { and, desc, eq, ilike, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { escapeLike, getAgentOrThrow, type AgentRow } from '../../features/agents/agents.repo.js';
import { agents as agentsTable } from '../../platform/db/schema/index.js';
import { assertJsonSize } from '../../platform/json-size.js';
import { workspaceOf, type RequestContext } from '../../features/context.js';
import { missingKnowledgeBaseIds } from '../../features/knowledge/knowledge.repo.js';
import { assertAgentAllowed, requireScope } from '../../features/keys/principal.js';

/**
 * RD Station's agent lifecycle (rdstation.md R10–R12) over the agents service's draft verbs.
 * RD fields live in the agent's `extras`: shared concepts at the top level (lead_fields,
 * force_lead_identification, knowledge_base_ids, fallback_message), RD-only ones under `rdstation`.
 */

export type RdAgentStatus = 'online' | 'offline' | 'draft';

export interface RdAgentCreate {
  name: string;
  description?: string | null;
  purpose?: 'general' | 'leads' | 'cs';
  kbs?: string[];
  fields?: Array<'name' | 'phone' | 'email' | 'company' | 'site'>;
  avatar?: Record<string, unknown> | null;
  color?: string;
  status?: RdAgentStatus;
  destinations?: Array<Record<string, unknown>>;
  behavior?: { answerLength: string; personality: string; engagement: string };
  behavior_type?: string;
  left?: boolean;
  customFields?: unknown[];
}

export const DEFAULT_BEHAVIOR = { answerLength: 'short', personality: 'personal', engagement: 'active' };

export interface RdAgentsService {
  list(
    ctx: RequestContext,
    q: { search?: string; limit: number; offset: number },
  ): Promise<{ rows: AgentRow[]; total: number }>;
  get(ctx: RequestContext, id: string): Promise<AgentRow>;
  create(ctx: RequestContext, input: RdAgentCreate): Promise<AgentRow>;
}

export function createRdAgentsService(deps: {
  db: Db;
  agents: AgentsService;
  gateway: ModelGateway;
  defaultModel: string;
  /** Key for destination credentials at rest (derived from the server's signing secret). */
  secret: string;
}): RdAgentsService {
  const { agents } = deps;
  const key = createHash('sha256').update(`papo:rdstation:destinations:${deps.secret}`).digest();

  /** AES-256-GCM; stored as base64 iv|tag|ciphertext, never returned (`credentials: {}`). */
  function encrypt(value: unknown): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  function modelUsable(model: string): boolean {
    return deps.gateway.configuredProviders().includes(model.slice(0, model.indexOf(':')));
  }

  return {
    async list(ctx, q) {
      requireScope(ctx.principal, 'agent:run');
      return listRdAgentRows(deps.db, workspaceOf(ctx), q, ctx.principal.agentIds);
    },

    async get(ctx, id) {
      requireScope(ctx.principal, 'agent:run');
      assertAgentAllowed(ctx.principal, id);
      return getAgentOrThrow(deps.db, workspaceOf(ctx), id);
    },

    async create(ctx, input) {
      requireScope(ctx.principal, 'admin');
      // README §3.3: a key with an agent allow-list cannot create agents
      if (ctx.principal.agentIds !== null) throw new AgentNotAllowedError('new');
      assertJsonSize('avatar', input.avatar);
      const workspaceId = workspaceOf(ctx);
      const kbs = input.kbs ?? [];
      const missing = await missingKnowledgeBaseIds(deps.db, workspaceId, kbs);
      if (missing.length > 0) throw invalidField('kbs', `unknown knowledge base ids: ${missing.join(', ')}`);
      const status = input.status ?? 'draft';
      if (status !== 'draft' && !modelUsable(deps.defaultModel)) {
        throw new AppError('agent_unavailable', "The server's default AI model is not available.", {
          status: 'no_model',
        });
      }
      const extras = {
        lead_fields: input.fields ?? [],
        force_lead_identification: false,
        knowledge_base_ids: kbs,
        fallback_message: null,
        rdstation: {
          avatar: input.avatar ?? null,
          color: input.color ?? '#ff5722',
          references: false,
          purpose: input.purpose ?? 'leads',
          freedom: 'restricted',
          behavior_type: input.behavior_type ?? 'basic',
          left: input.left ?? false,
          destinations: (input.destinations ?? []).map((d) =>
            'credentials' in d ? { ...d, credentials: { encrypted: encrypt(d['credentials']) } } : d,
          ),
          customFields: input.customFields ?? [],
          behavior: input.behavior ?? DEFAULT_BEHAVIOR,
        },
      };
      const created = await agents.createDraftAgent(workspaceId, {
        name: input.name,
        description: input.description ?? null,
        extras,
        draft: { instructions: input.description ?? '', model: deps.defaultModel },
      });
      if (status !== 'draft') await agents.publishAgentDraft(workspaceId, created.id, {});
      if (status === 'offline') await agents.updateAgent(workspaceId, created.id, { status: 'inactive' });
      return getAgentOrThrow(deps.db, workspaceId, created.id);
    },
  };
}

/** R10: every live agent (any status), newest first; `search` matches the name only. */
async function listRdAgentRows(
  db: Db,
  workspaceId: string,
  q: { search?: string; limit: number; offset: number },
  agentIds: string[] | null,
): Promise<{ rows: AgentRow[]; total: number }> {
  const a = agentsTable;
  const conds: SQL[] = [eq(a.workspaceId, workspaceId), isNull(a.deletedAt)];
  if (agentIds) {
    if (agentIds.length === 0) return { rows: [], total: 0 };
    conds.push(inArray(a.id, agentIds));
  }
  if (q.search) conds.push(ilike(a.name, `%${escapeLike(q.search)}%`));
  const where = and(...conds);
  const [rows, [count]] = await Promise.all([
    db.select().from(a).where(where).orderBy(desc(a.id)).limit(q.limit).offset(q.offset),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(a)
      .where(where),
  ]);
  return { rows, total: count?.n ?? 0 };
}
