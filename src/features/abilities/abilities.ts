import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/client.js';
import { agents } from '../../platform/db/schema/index.js';
import { newId } from '../../platform/ids.js';
import { getAgentOrThrow, type AgentRow } from '../agents/agents.repo.js';
import { workspaceOf, type RequestContext } from '../context.js';
import { assertAgentAllowed, requireScope } from '../keys/principal.js';

/**
 * EvaGPT abilities ("skillsets", README §6.3): named blocks of instructions that belong to an
 * agent, are not versioned and apply from the next reply. Stored in `agents.extras.abilities`.
 */
export interface Ability {
  id: string;
  agentId: string;
  name: string;
  description: string | null;
  instructions: string;
  createdAt: Date;
}

interface StoredAbility {
  id: string;
  name: string;
  description: string | null;
  instructions: string;
  created_at: string;
}

export interface AbilityInput {
  name: string;
  description?: string | null;
  instructions: string;
}

export type CreateAbilityResult = { ok: true; ability: Ability } | { ok: false; reason: 'name_taken' };

/** The agent's abilities as stored (entries that are not well-formed are skipped). */
export function agentAbilities(agent: Pick<AgentRow, 'id' | 'extras'>): Ability[] {
  const list = agent.extras['abilities'];
  if (!Array.isArray(list)) return [];
  return list.flatMap((a: Partial<StoredAbility>) =>
    a && typeof a.name === 'string' && typeof a.instructions === 'string' && typeof a.id === 'string'
      ? [
          {
            id: a.id,
            agentId: agent.id,
            name: a.name,
            description: typeof a.description === 'string' ? a.description : null,
            instructions: a.instructions,
            createdAt: new Date(a.created_at ?? 0),
          },
        ]
      : [],
  );
}

/**
 * The abilities block of the system context (README §6.3: after the instructions), or
 * undefined when the agent has none. Each ability is added under its name.
 */
export function abilitiesSystemBlock(agent: Pick<AgentRow, 'id' | 'extras'>): string | undefined {
  const abilities = agentAbilities(agent);
  if (abilities.length === 0) return undefined;
  const sections = abilities.map((a) =>
    [`## ${a.name}`, a.description, a.instructions.trim()].filter(Boolean).join('\n'),
  );
  return `<abilities>\nApply the ability whose name fits the conversation.\n\n${sections.join('\n\n')}\n</abilities>`;
}

/**
 * Adds an ability (EvaGPT E3). The name is unique per agent, case-insensitively; the check and
 * the append are one conditional UPDATE, so concurrent creates cannot both win.
 */
export async function createAbility(
  deps: { db: Db; clock: Clock },
  ctx: RequestContext,
  agentId: string,
  input: AbilityInput,
): Promise<CreateAbilityResult> {
  const { db, clock } = deps;
  requireScope(ctx.principal, 'admin');
  assertAgentAllowed(ctx.principal, agentId);
  const agent = await getAgentOrThrow(db, workspaceOf(ctx), agentId);
  const now = clock.now();
  const stored: StoredAbility = {
    id: newId(),
    name: input.name,
    description: input.description ?? null,
    instructions: input.instructions,
    created_at: now.toISOString(),
  };
  const current = sql`(case when jsonb_typeof(${agents.extras} -> 'abilities') = 'array' then ${agents.extras} -> 'abilities' else '[]'::jsonb end)`;
  const updated = await db
    .update(agents)
    .set({
      extras: sql`jsonb_set(${agents.extras}, '{abilities}', ${current} || ${JSON.stringify([stored])}::jsonb)`,
      updatedAt: now,
    })
    .where(
      and(
        eq(agents.id, agent.id),
        eq(agents.workspaceId, agent.workspaceId),
        isNull(agents.deletedAt),
        sql`not exists (select 1 from jsonb_array_elements(${current}) a where lower(a ->> 'name') = lower(${input.name}))`,
      ),
    )
    .returning({ id: agents.id });
  if (updated.length === 0) {
    // the agent is still there (checked above) unless deleted meanwhile: that is a 404 again
    await getAgentOrThrow(db, agent.workspaceId, agent.id);
    return { ok: false, reason: 'name_taken' };
  }
  return {
    ok: true,
    ability: {
      id: stored.id,
      agentId: agent.id,
      name: stored.name,
      description: stored.description,
      instructions: stored.instructions,
      createdAt: now,
    },
  };
}
