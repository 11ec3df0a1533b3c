import { and, desc, eq, gte, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/client.js';
import { agents, conversations, messageColumns, messages } from '../../platform/db/schema/index.js';
import { InvalidRequestError, NotFoundError, ValidationError, type Issue } from '../../platform/errors.js';
import { isUuid } from '../../platform/ids.js';
import { assertJsonSize } from '../../platform/json-size.js';
import { escapeLike, getRunnableAgent } from '../agents/agents.repo.js';
import { workspaceOf, type RequestContext } from '../context.js';
import { csatScores, upsertCsat } from '../feedback/csat.js';
import { setMessageFeedback } from '../feedback/message-feedback.js';
import { keysetResult, olderThan, type KeysetPage, type KeysetResult } from '../knowledge/keyset.js';
import { assertAgentAllowed, requireScope } from '../keys/principal.js';
import { textOf, toMessage } from '../messages/messages.mapper.js';
import { getConversationForPrincipal, insertSession, type ConversationRow } from './sessions.repo.js';

/**
 * EvaGPT's view of Papo conversations (evagpt.md §5): ordinary conversations (visible on every
 * surface) read with their agent's name and CSAT score, and EvaGPT's metadata merge.
 */
export interface EvaConversation {
  row: ConversationRow;
  agentName: string;
  /** CSAT 1–5, null when no survey was answered. */
  survey: number | null;
}

export interface EvaChatMessage {
  id: string;
  text: string;
  role: 'user' | 'assistant';
  createdAt: Date;
  feedback: 'positive' | 'negative' | null;
}

export interface EvaConversationFilters {
  /** Whole UTC days, `YYYY-MM-DD`. */
  dateInit?: string;
  dateEnd?: string;
  search?: string;
  meta?: string;
}

/** E6 answers at most the most recent this many messages. */
export const MESSAGES_LIMIT = 1000;
const META_KEY_MAX = 100;

export interface EvagptConversationsService {
  createForBot(ctx: RequestContext, botId: string, meta: Record<string, unknown>): Promise<EvaConversation>;
  get(ctx: RequestContext, id: string): Promise<EvaConversation>;
  list(
    ctx: RequestContext,
    filters: EvaConversationFilters,
    page: KeysetPage,
  ): Promise<KeysetResult<EvaConversation>>;
  /** Merges pairs into `metadata`; a null value removes its key; `{}` changes nothing. */
  mergeMeta(ctx: RequestContext, id: string, pairs: Record<string, unknown>): Promise<EvaConversation>;
  listMessages(ctx: RequestContext, id: string): Promise<EvaChatMessage[]>;
  setSurvey(ctx: RequestContext, id: string, score: number): Promise<EvaConversation>;
  setFeedback(ctx: RequestContext, messageId: string, value: 'positive' | 'negative'): Promise<void>;
}

export function createEvagptConversations(deps: { db: Db; clock: Clock }): EvagptConversationsService {
  const { db, clock } = deps;
  const c = conversations;

  async function view(row: ConversationRow): Promise<EvaConversation> {
    const [agent] = await db.select({ name: agents.name }).from(agents).where(eq(agents.id, row.agentId));
    const scores = await csatScores(db, row.workspaceId, [row.id]);
    return { row, agentName: agent?.name ?? '', survey: scores.get(row.id) ?? null };
  }

  return {
    async createForBot(ctx, botId, meta) {
      requireScope(ctx.principal, 'agent:run');
      assertAgentAllowed(ctx.principal, botId);
      assertJsonSize('meta', meta);
      const { agent } = await getRunnableAgent(db, workspaceOf(ctx), botId);
      const row = await insertSession(db, {
        workspaceId: agent.workspaceId,
        agent,
        user: null,
        context: {},
        metadata: meta,
        now: clock.now(),
      });
      return { row, agentName: agent.name, survey: null };
    },

    async get(ctx, id) {
      requireScope(ctx.principal, 'agent:run');
      return view(await getConversationForPrincipal(db, ctx.principal, id, 'conversation'));
    },

    async list(ctx, f, page) {
      requireScope(ctx.principal, 'agent:run');
      const workspaceId = workspaceOf(ctx);
      const conds: SQL[] = [eq(c.workspaceId, workspaceId), isNull(c.deletedAt)];
      const allowed = ctx.principal.agentIds;
      if (allowed) conds.push(allowed.length > 0 ? inArray(c.agentId, allowed) : sql`false`);
      if (f.dateInit) conds.push(gte(c.createdAt, new Date(`${f.dateInit}T00:00:00.000Z`)));
      if (f.dateEnd) {
        const next = new Date(`${f.dateEnd}T00:00:00.000Z`);
        next.setUTCDate(next.getUTCDate() + 1);
        conds.push(lt(c.createdAt, next));
      }
      if (f.search) {
        const like = `%${escapeLike(f.search)}%`;
        conds.push(
          sql`(${c.id}::text ilike ${like} or ${c.title} ilike ${like} or ${agents.name} ilike ${like} or ${c.channel} ilike ${like})`,
        );
      }
      if (f.meta) {
        const like = `%${escapeLike(f.meta)}%`;
        conds.push(
          sql`exists (select 1 from jsonb_each(${c.metadata}) m where (case when jsonb_typeof(m.value) = 'string' then m.value #>> '{}' else m.value::text end) ilike ${like})`,
        );
      }
      const total = page.withTotal
        ? await db
            .select({ n: sql<number>`count(*)::int` })
            .from(c)
            .innerJoin(agents, eq(agents.id, c.agentId))
            .where(and(...conds))
            .then((rows) => Number(rows[0]?.n ?? 0))
        : null;
      const after = olderThan(c.createdAt, c.id, page.after);
      const rows = await db
        .select({ row: c, agentName: agents.name })
        .from(c)
        .innerJoin(agents, eq(agents.id, c.agentId))
        .where(and(...conds, ...(after ? [after] : [])))
        .orderBy(desc(c.createdAt), desc(c.id))
        .limit(page.limit + 1);
      const scores = await csatScores(
        db,
        workspaceId,
        rows.map((r) => r.row.id),
      );
      const flat = rows.map((r) => ({ ...r, id: r.row.id, createdAt: r.row.createdAt }));
      return keysetResult(flat, page, total, (r) => ({
        row: r.row,
        agentName: r.agentName,
        survey: scores.get(r.row.id) ?? null,
      }));
    },

    async mergeMeta(ctx, id, pairs) {
      requireScope(ctx.principal, 'agent:run');
      const issues: Issue[] = Object.keys(pairs)
        .filter((k) => k.length < 1 || k.length > META_KEY_MAX)
        .map((k) => ({ location: 'body', path: k, message: `keys must be 1–${META_KEY_MAX} characters` }));
      if (issues.length > 0) throw new ValidationError(issues);
      const current = await getConversationForPrincipal(db, ctx.principal, id, 'conversation');
      if (Object.keys(pairs).length === 0) return view(current);
      const row = await db.transaction(async (tx) => {
        // the row lock orders concurrent merges: each one merges into the previous one's result
        const [locked] = await tx
          .select()
          .from(c)
          .where(and(eq(c.id, current.id), isNull(c.deletedAt)))
          .for('update');
        if (!locked) throw new NotFoundError('conversation', id);
        const next: Record<string, unknown> = { ...locked.metadata };
        for (const [k, v] of Object.entries(pairs)) {
          if (v === null) delete next[k];
          else next[k] = v;
        }
        assertJsonSize('meta', next);
        const [updated] = await tx
          .update(c)
          .set({ metadata: next, updatedAt: clock.now() })
          .where(eq(c.id, locked.id))
          .returning();
        return updated!;
      });
      return view(row);
    },

    async listMessages(ctx, id) {
      requireScope(ctx.principal, 'agent:run');
      const conv = await getConversationForPrincipal(db, ctx.principal, id, 'conversation');
      const [agent] = await db
        .select({ format: agents.outputFormat })
        .from(agents)
        .where(eq(agents.id, conv.agentId));
      const rows = await db
        .select(messageColumns)
        .from(messages)
        .where(and(eq(messages.conversationId, conv.id), inArray(messages.role, ['user', 'assistant'])))
        .orderBy(desc(messages.id))
        .limit(MESSAGES_LIMIT);
      return rows.reverse().map((r) => ({
        id: r.id,
        text: textOf(toMessage(r, agent?.format ?? 'markdown').content),
        role: r.role as 'user' | 'assistant',
        createdAt: r.createdAt,
        feedback: r.feedback,
      }));
    },

    async setSurvey(ctx, id, score) {
      requireScope(ctx.principal, 'agent:run');
      const row = await getConversationForPrincipal(db, ctx.principal, id, 'conversation');
      await upsertCsat(db, { workspaceId: row.workspaceId, conversationId: row.id, score, at: clock.now() });
      return view(row);
    },

    async setFeedback(ctx, messageId, value) {
      requireScope(ctx.principal, 'agent:run');
      const workspaceId = workspaceOf(ctx);
      if (!isUuid(messageId)) throw new NotFoundError('message', messageId);
      const [owner] = await db
        .select({ agentId: c.agentId })
        .from(messages)
        .innerJoin(c, eq(c.id, messages.conversationId))
        .where(
          and(
            eq(messages.id, messageId),
            eq(messages.workspaceId, workspaceId),
            isNull(c.deletedAt),
            or(eq(messages.role, 'user'), eq(messages.role, 'assistant')),
          ),
        );
      if (!owner) throw new NotFoundError('message', messageId);
      assertAgentAllowed(ctx.principal, owner.agentId);
      const result = await setMessageFeedback(db, { workspaceId, messageId, value, at: clock.now() });
      if (!result.ok) {
        if (result.reason === 'not_found') throw new NotFoundError('message', messageId);
        throw new InvalidRequestError('Feedback is accepted only on assistant messages.', [
          { location: 'path', path: 'idmessage', message: 'must name an assistant message' },
        ]);
      }
    },
  };
}
