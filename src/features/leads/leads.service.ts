import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/client.js';
import { invalidField, NotFoundError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { assertJsonSize } from '../../platform/json-size.js';
import { workspaceOf, type RequestContext } from '../context.js';
import { assertAgentAllowed, requireScope } from '../keys/principal.js';
import {
  agentExists,
  getLeadOrThrow,
  insertLead,
  listLeadRows,
  softDeleteLead,
  type LeadCapture,
  type LeadFilters,
  type LeadRow,
} from './leads.repo.js';

export type { LeadRow } from './leads.repo.js';

export interface LeadInput {
  agentId?: string | null;
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  company?: string | null;
  site?: string | null;
  custom?: Record<string, unknown>;
  utm?: Record<string, unknown>;
  capture?: LeadCapture;
}

export interface LeadsService {
  /** No de-duplication: every call creates a lead (rdstation.md R7). */
  createLead(ctx: RequestContext, input: LeadInput): Promise<LeadRow>;
  listLeads(
    ctx: RequestContext,
    filters: LeadFilters,
    page: { limit: number; offset: number },
  ): Promise<{ rows: LeadRow[]; total: number }>;
  getLead(ctx: RequestContext, id: string): Promise<LeadRow>;
  /** Soft delete: conversations that pointed at it then show no lead. */
  deleteLead(ctx: RequestContext, id: string): Promise<void>;
}

/** A lead of an agent outside the key's allow-list is 403; leads without an agent are open. */
function assertLeadVisible(ctx: RequestContext, lead: LeadRow): void {
  if (lead.agentId !== null) assertAgentAllowed(ctx.principal, lead.agentId);
}

export function createLeadsService(deps: { db: Db; clock: Clock }): LeadsService {
  const { db, clock } = deps;
  return {
    async createLead(ctx, input) {
      requireScope(ctx.principal, 'agent:run');
      assertJsonSize('custom', input.custom);
      assertJsonSize('utm', input.utm);
      const workspaceId = workspaceOf(ctx);
      const agentId = input.agentId ?? null;
      if (agentId !== null) {
        assertAgentAllowed(ctx.principal, agentId);
        if (!(await agentExists(db, workspaceId, agentId))) {
          throw invalidField('agentId', 'names no agent of this workspace');
        }
      }
      const now = clock.now();
      return insertLead(db, {
        id: newId(),
        workspaceId,
        agentId,
        name: input.name ?? null,
        email: input.email ?? null,
        phone: input.phone ?? null,
        company: input.company ?? null,
        site: input.site ?? null,
        custom: input.custom ?? {},
        utm: input.utm ?? {},
        capture: input.capture ?? 'completed',
        createdAt: now,
        updatedAt: now,
      });
    },

    async listLeads(ctx, filters, page) {
      requireScope(ctx.principal, 'agent:run');
      if (filters.agentId !== undefined) assertAgentAllowed(ctx.principal, filters.agentId);
      return listLeadRows(db, workspaceOf(ctx), filters, page, ctx.principal.agentIds);
    },

    async getLead(ctx, id) {
      requireScope(ctx.principal, 'agent:run');
      const lead = await getLeadOrThrow(db, workspaceOf(ctx), id);
      assertLeadVisible(ctx, lead);
      return lead;
    },

    async deleteLead(ctx, id) {
      requireScope(ctx.principal, 'agent:run');
      const lead = await getLeadOrThrow(db, workspaceOf(ctx), id);
      assertLeadVisible(ctx, lead);
      if (!(await softDeleteLead(db, lead.workspaceId, lead.id, clock.now())))
        throw new NotFoundError('lead', id);
    },
  };
}
