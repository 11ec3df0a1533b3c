import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx } from '../../platform/db/client.js';
import { agents } from '../../platform/db/schema/index.js';
import { NotFoundError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { getAgentOrThrow, lockAgentOrThrow, type AgentRow } from '../agents/agents.repo.js';
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
  updatedAt: Date;
}

interface StoredAbility {
  id: string;
  name: string;
  description: string | null;
  instructions: string;
  created_at: string;
  updated_at?: string;
}

export interface AbilityInput {
  name: string;
  description?: string | null;
  instructions: string;
}

export type CreateAbilityResult = { ok: true; ability: Ability } | { ok: false; reason: 'name_taken' };

interface AbilityDeps {
  db: Db;
  clock: Clock;
}

/** Abilities of an agent (EvaGPT E3, and the management API for the dashboard). */
export interface AbilitiesService {
  /** The name is unique per agent, case-insensitively. */
  create(ctx: RequestContext, agentId: string, input: AbilityInput): Promise<CreateAbilityResult>;
  /** Oldest first: the order they appear in the system context. */
  list(ctx: RequestContext, agentId: string): Promise<Ability[]>;
  /** 404 when the agent has no such ability. */
  update(
    ctx: RequestContext,
    agentId: string,
    abilityId: string,
    patch: Partial<AbilityInput>,
  ): Promise<CreateAbilityResult>;
  /** 404 when the agent has no such ability. */
  delete(ctx: RequestContext, agentId: string, abilityId: string): Promise<void>;
}

export function createAbilitiesService(deps: AbilityDeps): AbilitiesService {
  return {
    create: (ctx, agentId, input) => createAbility(deps, ctx, agentId, input),
    list: (ctx, agentId) => listAbilities(deps, ctx, agentId),
    update: (ctx, agentId, abilityId, patch) => updateAbility(deps, ctx, agentId, abilityId, patch),
    delete: (ctx, agentId, abilityId) => deleteAbility(deps, ctx, agentId, abilityId),
  };
}

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
            updatedAt: new Date(a.updated_at ?? a.created_at ?? 0),
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
async function createAbility(
  deps: AbilityDeps,
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
      updatedAt: now,
    },
  };
}

async function listAbilities(deps: AbilityDeps, ctx: RequestContext, agentId: string): Promise<Ability[]> {
  requireScope(ctx.principal, 'admin');
  assertAgentAllowed(ctx.principal, agentId);
  return agentAbilities(await getAgentOrThrow(deps.db, workspaceOf(ctx), agentId));
}

/**
 * Edits one ability (applies from the next reply, like every ability change). The agent row is
 * locked for the read-modify-write, so concurrent edits and the unique name check serialize.
 */
async function updateAbility(
  deps: AbilityDeps,
  ctx: RequestContext,
  agentId: string,
  abilityId: string,
  patch: Partial<AbilityInput>,
): Promise<CreateAbilityResult> {
  requireScope(ctx.principal, 'admin');
  assertAgentAllowed(ctx.principal, agentId);
  return deps.db.transaction(async (tx) => {
    const agent = await lockAgentOrThrow(tx, workspaceOf(ctx), agentId);
    const list = storedAbilities(agent);
    const at = list.findIndex((a) => a.id === abilityId);
    if (at < 0) throw new NotFoundError('ability', abilityId);
    const name = patch.name ?? list[at]!.name;
    if (list.some((a, i) => i !== at && a.name.toLowerCase() === name.toLowerCase())) {
      return { ok: false, reason: 'name_taken' } as const;
    }
    const now = deps.clock.now();
    const updated: StoredAbility = {
      ...list[at]!,
      name,
      description: patch.description !== undefined ? patch.description : list[at]!.description,
      instructions: patch.instructions ?? list[at]!.instructions,
      updated_at: now.toISOString(),
    };
    list[at] = updated;
    await writeAbilities(tx, agent, list, now);
    return {
      ok: true,
      ability: agentAbilities({ id: agent.id, extras: { abilities: [updated] } })[0]!,
    } as const;
  });
}

async function deleteAbility(
  deps: AbilityDeps,
  ctx: RequestContext,
  agentId: string,
  abilityId: string,
): Promise<void> {
  requireScope(ctx.principal, 'admin');
  assertAgentAllowed(ctx.principal, agentId);
  await deps.db.transaction(async (tx) => {
    const agent = await lockAgentOrThrow(tx, workspaceOf(ctx), agentId);
    const list = storedAbilities(agent);
    const kept = list.filter((a) => a.id !== abilityId);
    if (kept.length === list.length) throw new NotFoundError('ability', abilityId);
    await writeAbilities(tx, agent, kept, deps.clock.now());
  });
}

/** The stored entries that are well-formed, as agentAbilities reads them. */
function storedAbilities(agent: Pick<AgentRow, 'id' | 'extras'>): StoredAbility[] {
  return agentAbilities(agent).map((a) => ({
    id: a.id,
    name: a.name,
    description: a.description,
    instructions: a.instructions,
    created_at: a.createdAt.toISOString(),
    updated_at: a.updatedAt.toISOString(),
  }));
}

async function writeAbilities(tx: DbOrTx, agent: AgentRow, list: StoredAbility[], now: Date): Promise<void> {
  await tx
    .update(agents)
    .set({ extras: { ...agent.extras, abilities: list }, updatedAt: now })
    .where(eq(agents.id, agent.id));
}
