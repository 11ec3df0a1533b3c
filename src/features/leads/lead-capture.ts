import { and, eq } from 'drizzle-orm';
import type { Db } from '../../platform/db/client.js';
import { conversations } from '../../platform/db/schema/index.js';
import { leads } from '../../platform/db/schema/leads.js';
import { newId } from '../../platform/ids.js';
import type { GatewayTool } from '../../platform/llm/gateway.js';
import type { ToolProvider } from '../messages/tools.js';
import { findLead, insertLead, LEAD_FIELDS, type LeadField, type LeadRow } from './leads.repo.js';

/** What an agent stores about lead capture, in its `extras` (README §8; RD Station `fields`). */
export interface LeadSettings {
  fields: LeadField[];
  /** Collect the fields before helping (RD Station `forceLeadIdentification`). */
  force: boolean;
}

export function leadSettingsOf(agent: { extras: Record<string, unknown> }): LeadSettings {
  const raw = agent.extras['lead_fields'];
  const fields = Array.isArray(raw) ? LEAD_FIELDS.filter((f) => (raw as unknown[]).includes(f)) : [];
  return { fields, force: agent.extras['force_lead_identification'] === true };
}

/** Whether every configured field has a value: the lead is then `completed` (README §8). */
export function isComplete(lead: Pick<LeadRow, LeadField>, fields: readonly LeadField[]): boolean {
  return fields.every((f) => lead[f] !== null && lead[f] !== '');
}

const FIELD_LIMITS: Record<LeadField, number> = {
  name: 255,
  email: 254,
  phone: 32,
  company: 255,
  site: 2048,
};
const FIELD_HINTS: Record<LeadField, string> = {
  name: "the visitor's full name",
  email: "the visitor's e-mail address",
  phone: "the visitor's phone number",
  company: "the visitor's company",
  site: "the visitor's website",
};
export const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The system-context lines for an agent's own settings (README §6.3): the lead-capture
 * instruction, and the fallback answer (RD Station `off`). Empty when none apply.
 */
export function agentInstructionLines(agent: { extras: Record<string, unknown> }): string[] {
  const lines: string[] = [];
  // README §6.3 order: the fallback instruction, then the lead-capture one
  const fallback = agent.extras['fallback_message'];
  if (typeof fallback === 'string' && fallback.trim() !== '') {
    lines.push(`When you do not know the answer, reply exactly with: ${fallback.trim()}`);
  }
  const { fields, force } = leadSettingsOf(agent);
  if (fields.length > 0) {
    lines.push(
      `Lead capture: collect the visitor's ${fields.join(', ')}. Whenever the visitor gives any of ` +
        'these, call the save_lead tool with the values given so far (call it again as you learn more).' +
        (force ? ' Before helping with anything else, ask for these details and save them.' : ''),
    );
  }
  return lines;
}

/**
 * save_lead (README §8): the first call creates the conversation's lead (`partial`, with the
 * conversation's utm), later calls update it; it is `completed` once every field has a value.
 */
export const saveLeadTools: ToolProvider = async (ctx) => {
  const { fields } = leadSettingsOf(ctx.agent);
  const conversationId = ctx.conversationId;
  const none: Record<string, GatewayTool> = {};
  if (fields.length === 0 || conversationId === null) return none;
  const tool: GatewayTool = {
    description: `Saves the visitor's contact details (${fields.join(', ')}) as a lead. Pass only the values the visitor gave.`,
    parameters: {
      type: 'object',
      properties: Object.fromEntries(fields.map((f) => [f, { type: 'string', description: FIELD_HINTS[f] }])),
      additionalProperties: false,
    },
    async execute(args) {
      const lead = await captureLead(ctx.db, {
        workspaceId: ctx.workspaceId,
        agentId: ctx.agent.id,
        conversationId,
        fields,
        values: parseValues(args, fields),
      });
      return {
        saved: true,
        capture: lead.capture,
        missing: fields.filter((f) => lead[f] === null),
      };
    },
  };
  return { save_lead: tool };
};

/** Validates the model's arguments; a thrown error goes back to the model so it can ask again. */
function parseValues(
  args: Record<string, unknown>,
  fields: readonly LeadField[],
): Partial<Record<LeadField, string>> {
  const out: Partial<Record<LeadField, string>> = {};
  for (const f of fields) {
    const v = args[f];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw new Error(`${f} must be a string`);
    const text = v.trim();
    if (text === '') continue;
    if (text.length > FIELD_LIMITS[f]) throw new Error(`${f} must be at most ${FIELD_LIMITS[f]} characters`);
    if (f === 'email' && !EMAIL_RE.test(text)) throw new Error('email is not a valid e-mail address');
    out[f] = text;
  }
  if (Object.keys(out).length === 0) throw new Error(`give at least one of: ${fields.join(', ')}`);
  return out;
}

async function captureLead(
  db: Db,
  r: {
    workspaceId: string;
    agentId: string;
    conversationId: string;
    fields: readonly LeadField[];
    values: Partial<Record<LeadField, string>>;
  },
): Promise<LeadRow> {
  // tools have no injected clock (ToolContext); lead times are the server's wall clock
  const now = new Date();
  return db.transaction(async (tx) => {
    const [conv] = await tx
      .select({ leadId: conversations.leadId, utm: conversations.utm })
      .from(conversations)
      .where(and(eq(conversations.id, r.conversationId), eq(conversations.workspaceId, r.workspaceId)))
      .for('update');
    const existing = conv?.leadId ? await findLead(tx, r.workspaceId, conv.leadId) : undefined;
    if (existing) {
      const merged = { ...existing, ...r.values };
      const capture =
        existing.capture === 'completed' || isComplete(merged, r.fields) ? 'completed' : 'partial';
      const [updated] = await tx
        .update(leads)
        .set({ ...r.values, capture, updatedAt: now })
        .where(eq(leads.id, existing.id))
        .returning();
      return updated!;
    }
    const values = { name: null, email: null, phone: null, company: null, site: null, ...r.values };
    const lead = await insertLead(tx, {
      id: newId(),
      workspaceId: r.workspaceId,
      agentId: r.agentId,
      ...values,
      custom: {},
      utm: conv?.utm ?? {},
      capture: isComplete(values, r.fields) ? 'completed' : 'partial',
      createdAt: now,
      updatedAt: now,
    });
    await tx.update(conversations).set({ leadId: lead.id }).where(eq(conversations.id, r.conversationId));
    return lead;
  });
}
