import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../harness.js';
import { expectGenniaError, G, genniaWorld, type GenniaWorld, type Method } from './gennia.js';

// gennia.md §5: every unserved operation → 404 ENDPOINT_NOT_SUPPORTED, without checking credentials.
let t: TestApp;
let w: GenniaWorld;

beforeAll(async () => {
  t = await createTestApp();
  w = await genniaWorld(t);
});
afterAll(() => t.close());

const A = '0190aaaa-0000-7000-8000-000000000001';
const X = '0190bbbb-0000-7000-8000-000000000002';

/** gennia.md §5, area by area ({a} and the other ids filled in). */
const UNSERVED: Array<[Method, string]> = [
  // prompt variables
  ['GET', `/agents/${A}/prompt/variables`],
  ['POST', `/agents/${A}/prompt/variables`],
  ['PATCH', `/agents/${A}/prompt/variables/${X}`],
  ['DELETE', `/agents/${A}/prompt/variables/${X}`],
  // agent features
  ['GET', `/agents/${A}/features`],
  ['GET', `/agents/${A}/features/memory`],
  ['PATCH', `/agents/${A}/features/memory`],
  // automations
  ['GET', `/agents/${A}/automations`],
  ['POST', `/agents/${A}/automations`],
  ['GET', `/agents/${A}/automations/${X}`],
  ['PATCH', `/agents/${A}/automations/${X}`],
  ['DELETE', `/agents/${A}/automations/${X}`],
  ['GET', `/agents/${A}/automations/${X}/executions`],
  // commands
  ['GET', `/agents/${A}/commands`],
  ['POST', `/agents/${A}/commands`],
  ['GET', `/agents/${A}/commands/${X}`],
  ['PATCH', `/agents/${A}/commands/${X}`],
  ['DELETE', `/agents/${A}/commands/${X}`],
  // channels
  ['GET', `/agents/${A}/channels`],
  ['POST', `/agents/${A}/channels`],
  ['GET', `/agents/${A}/channels/by-type/whatsapp`],
  ['GET', `/agents/${A}/channels/${X}`],
  ['PATCH', `/agents/${A}/channels/${X}`],
  ['DELETE', `/agents/${A}/channels/${X}`],
  ['PATCH', `/agents/${A}/channels/${X}/instance-mode`],
  ['GET', '/channel-types'],
  ['GET', '/channel-types/whatsapp'],
  // HTTP-tool links
  ['GET', `/agents/${A}/http-tools`],
  ['POST', `/agents/${A}/http-tools`],
  ['GET', `/agents/${A}/http-tools/available`],
  ['PATCH', `/agents/${A}/http-tools/${X}`],
  ['DELETE', `/agents/${A}/http-tools/${X}`],
  // MCP links
  ['GET', `/agents/${A}/external-mcps`],
  ['POST', `/agents/${A}/external-mcps`],
  ['GET', `/agents/${A}/external-mcps/available`],
  ['PATCH', `/agents/${A}/external-mcps/${X}`],
  ['DELETE', `/agents/${A}/external-mcps/${X}`],
  ['GET', `/agents/${A}/native-mcps`],
  ['POST', `/agents/${A}/native-mcps`],
  ['GET', `/agents/${A}/native-mcps/available`],
  ['PATCH', `/agents/${A}/native-mcps/${X}/instance-mode`],
  ['DELETE', `/agents/${A}/native-mcps/${X}`],
  // knowledge-source, skill and sub-agent links
  ['GET', `/agents/${A}/knowledge-sources`],
  ['POST', `/agents/${A}/knowledge-sources`],
  ['GET', `/agents/${A}/knowledge-sources/available`],
  ['DELETE', `/agents/${A}/knowledge-sources/${X}`],
  ['GET', `/agents/${A}/skills`],
  ['POST', `/agents/${A}/skills`],
  ['GET', `/agents/${A}/skills/available`],
  ['DELETE', `/agents/${A}/skills/${X}`],
  ['GET', `/agents/${A}/sub-agents`],
  ['POST', `/agents/${A}/sub-agents`],
  ['GET', `/agents/${A}/sub-agents/available`],
  ['DELETE', `/agents/${A}/sub-agents/${X}`],
  // workspace HTTP tools, MCP servers, knowledge sources, skills
  ['GET', '/http-tools'],
  ['POST', '/http-tools'],
  ['GET', `/http-tools/${X}`],
  ['PATCH', `/http-tools/${X}`],
  ['DELETE', `/http-tools/${X}`],
  ['POST', `/http-tools/${X}/test`],
  ['GET', '/external-mcps'],
  ['POST', '/external-mcps'],
  ['GET', `/external-mcps/${X}`],
  ['PATCH', `/external-mcps/${X}`],
  ['DELETE', `/external-mcps/${X}`],
  ['POST', `/external-mcps/${X}/discover`],
  ['GET', '/native-mcp-triggers'],
  ['GET', '/native-mcp-triggers/new-lead'],
  ['GET', '/knowledge-sources'],
  ['POST', '/knowledge-sources'],
  ['GET', `/knowledge-sources/${X}`],
  ['PATCH', `/knowledge-sources/${X}`],
  ['DELETE', `/knowledge-sources/${X}`],
  ['GET', '/skills'],
  ['POST', '/skills'],
  ['GET', `/skills/${X}`],
  ['PATCH', `/skills/${X}`],
  ['DELETE', `/skills/${X}`],
  // hub
  ['GET', '/hub'],
  ['PATCH', '/hub'],
  ['GET', '/hub/access'],
  ['PATCH', '/hub/access'],
  ['GET', '/hub/domain'],
  ['PUT', '/hub/domain'],
  ['GET', '/hub/domain/availability'],
  ['GET', '/hub/external-links'],
  ['POST', '/hub/external-links'],
  ['PATCH', `/hub/external-links/${X}`],
  ['DELETE', `/hub/external-links/${X}`],
  ['POST', '/hub/logos/light'],
  ['DELETE', '/hub/logos/light'],
  // clients
  ['GET', '/clients'],
  ['POST', '/clients'],
  ['GET', `/clients/${X}`],
  ['POST', `/clients/${X}/invitations/${A}/resend`],
  ['POST', `/clients/${X}/suspend`],
  ['POST', `/clients/${X}/reactivate`],
  ['PATCH', `/clients/${X}/users/${A}`],
  ['DELETE', `/clients/${X}/users/${A}`],
  // billing
  ['GET', '/billing/plans'],
  ['POST', '/billing/plans'],
  ['GET', `/billing/plans/${X}`],
  ['PATCH', `/billing/plans/${X}`],
  ['DELETE', `/billing/plans/${X}`],
  ['GET', '/billing/coupons'],
  ['POST', '/billing/coupons'],
  ['GET', `/billing/coupons/${X}`],
  ['PATCH', `/billing/coupons/${X}`],
  ['DELETE', `/billing/coupons/${X}`],
  ['GET', '/billing/credit-packages'],
  ['POST', '/billing/credit-packages'],
  ['GET', `/billing/credit-packages/${X}`],
  ['PUT', `/billing/credit-packages/${X}`],
  ['DELETE', `/billing/credit-packages/${X}`],
];

describe('§5 not served', () => {
  it('every unserved operation → 404 ENDPOINT_NOT_SUPPORTED, with or without a key', async () => {
    for (const [method, path] of UNSERVED) {
      for (const headers of [{}, { 'x-api-key': w.key }, { 'x-api-key': 'gsk_garbage' }]) {
        const res = await t.app.inject({
          method,
          url: `${G}${path}`,
          headers,
          ...(method !== 'GET' && method !== 'DELETE' && { payload: {} }),
        });
        const body = expectGenniaError(res, 404, 'ENDPOINT_NOT_SUPPORTED');
        expect(body.details, `${method} ${path}`).toEqual([]);
        expect(res.headers['ratelimit-limit']).toBeUndefined();
      }
    }
  });

  it('unknown paths under /compat/gennia answer the same; the surface has no conversation create/end', async () => {
    for (const path of [
      '/compat/gennia',
      '/compat/gennia/',
      '/compat/gennia/v2/agents',
      `${G}/health/x`,
      `${G}/webhooks`,
    ]) {
      expectGenniaError(await t.app.inject({ method: 'GET', url: path }), 404, 'ENDPOINT_NOT_SUPPORTED');
    }
    const create = await t.app.inject({ method: 'POST', url: `${G}/conversations`, payload: {} });
    expectGenniaError(create, 405, 'METHOD_NOT_ALLOWED');
    expect(create.headers['allow']).toBe('GET');
    expectGenniaError(
      await t.app.inject({ method: 'POST', url: `${G}/conversations/${X}/end` }),
      404,
      'ENDPOINT_NOT_SUPPORTED',
    );
  });

  it('Gennia routes stay out of the native OpenAPI document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json<{
      paths: Record<string, unknown>;
    }>();
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/compat/gennia'))).toEqual([]);
  });
});
