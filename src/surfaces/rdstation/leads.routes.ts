import type { App } from '../../platform/http/types.js';
import { pageMeta, toRdLead } from './mappers.js';
import type { RdRouteDeps } from './plugin.js';
import { IdParams, LeadBody, LeadListQuery, pickUtm } from './schemas.js';

const auth = { rd: { credential: 'key', scope: 'agent:run' } } as const;

/** R6–R9. */
export function leadRoutes(app: App, { rd, ctx }: RdRouteDeps): void {
  app.get(
    '/rest/leads',
    { config: auth, schema: { hide: true, querystring: LeadListQuery } },
    async (req, reply) => {
      const { page, size, orderBy, ...filters } = req.query;
      const { rows, total } = await rd.leads.listLeads(
        ctx(req, reply),
        { ...filters, orderBy: orderBy ?? 'createdAtDesc' },
        { limit: size, offset: (page - 1) * size },
      );
      return { data: rows.map(toRdLead), meta: pageMeta(total, page, size) };
    },
  );

  app.post('/rest/leads', { config: auth, schema: { hide: true, body: LeadBody } }, async (req, reply) => {
    const { utm, ...rest } = req.body;
    const lead = await rd.leads.createLead(ctx(req, reply), {
      ...rest,
      ...(utm !== undefined && { utm: pickUtm(utm) }),
    });
    return toRdLead(lead);
  });

  app.get('/rest/leads/:id', { config: auth, schema: { hide: true, params: IdParams } }, async (req, reply) =>
    toRdLead(await rd.leads.getLead(ctx(req, reply), req.params.id)),
  );

  app.delete(
    '/rest/leads/:id',
    { config: auth, schema: { hide: true, params: IdParams } },
    async (req, reply) => {
      await rd.leads.deleteLead(ctx(req, reply), req.params.id);
      return {};
    },
  );
}
