import type { Db } from '../../platform/db/client.js';
import type { GatewayTool } from '../../platform/llm/gateway.js';
import type { AgentRow } from '../agents/agents.repo.js';
import { saveLeadTools } from '../leads/lead-capture.js';
import { knowledgeSearchTools } from '../knowledge/knowledge-search.tool.js';

/** What a tool needs to know about the turn it runs in. */
export interface ToolContext {
  db: Db;
  workspaceId: string;
  agent: AgentRow;
  /** null for runs that persist nothing. */
  conversationId: string | null;
}

/**
 * Offers an agent's internal tools for a turn (README §6.3: Papo runs tools server-side), or
 * none. Each capability adds its provider here, e.g. knowledge_search for agents linked to
 * knowledge bases, save_lead for agents with lead fields.
 */
export type ToolProvider = (ctx: ToolContext) => Promise<Record<string, GatewayTool>>;

const providers: ToolProvider[] = [
  saveLeadTools, // save_lead for agents with lead fields (features/leads, RD Station)
  knowledgeSearchTools, // knowledge_search for agents linked to knowledge bases (features/knowledge)
];

/** The tools the model is offered for this agent's turn; an empty record means none. */
export async function agentTools(ctx: ToolContext): Promise<Record<string, GatewayTool>> {
  const all: Record<string, GatewayTool> = {};
  for (const provide of providers) Object.assign(all, await provide(ctx));
  return all;
}
