import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingKnowledgeBaseIds } from '../../../src/features/knowledge/knowledge.repo.js';
import { newAgent, newKey, newWorkspace, operatorHeaders } from '../../factories.js';
import { createTestApp, type TestApp } from '../../harness.js';
import { expectError, ISO_MS, MISSING_ID } from '../../http.js';
import { bearer, eva, evaWorld, newKnowledgeBase } from './eva.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(() => t.close());

const adminCall = (
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT',
  url: string,
  payload?: unknown,
  headers: Record<string, string> = operatorHeaders,
) =>
  t.app.inject({
    method,
    url: `/v1/admin${url}`,
    headers,
    ...(payload !== undefined && { payload: payload as Record<string, unknown> }),
  });

interface Kb {
  id: string;
  workspace_id: string;
  name: string;
  description: string | null;
  metadata: Record<string, unknown>;
  records_count: number;
  files_count: number;
  created_at: string;
  updated_at: string;
}

describe('management API: knowledge bases', () => {
  it('creates, reads, lists, updates and soft-deletes knowledge bases', async () => {
    const ws = await newWorkspace(t);
    const created = await adminCall('POST', `/workspaces/${ws}/knowledge-bases`, {
      name: 'Catálogo',
      description: 'Produtos e preços',
      metadata: { owner: 'vendas' },
    });
    expect(created.statusCode, created.body).toBe(200);
    const kb = created.json<Kb>();
    expect(Object.keys(kb).sort()).toEqual([
      'created_at',
      'description',
      'files_count',
      'id',
      'metadata',
      'name',
      'records_count',
      'updated_at',
      'workspace_id',
    ]);
    expect(kb).toMatchObject({
      workspace_id: ws,
      name: 'Catálogo',
      description: 'Produtos e preços',
      metadata: { owner: 'vendas' },
      records_count: 0,
      files_count: 0,
    });
    expect(kb.created_at).toMatch(ISO_MS);

    expect((await adminCall('GET', `/workspaces/${ws}/knowledge-bases/${kb.id}`)).json<Kb>()).toEqual(kb);
    const second = (await adminCall('POST', `/workspaces/${ws}/knowledge-bases`, { name: 'FAQ' })).json<Kb>();
    const page = await adminCall('GET', `/workspaces/${ws}/knowledge-bases?limit=1`);
    expect(page.json()).toMatchObject({ items: [{ id: second.id }], next_offset: 1 });
    const page2 = await adminCall('GET', `/workspaces/${ws}/knowledge-bases?limit=1&offset=1`);
    expect(page2.json()).toMatchObject({ items: [{ id: kb.id }], next_offset: null });
    const searched = await adminCall('GET', `/workspaces/${ws}/knowledge-bases?search=cat`);
    expect(searched.json<{ items: Kb[] }>().items.map((k) => k.id)).toEqual([kb.id]);

    const patched = await adminCall('PATCH', `/workspaces/${ws}/knowledge-bases/${kb.id}`, {
      name: 'Catálogo 2026',
      description: null,
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json<Kb>()).toMatchObject({
      name: 'Catálogo 2026',
      description: null,
      metadata: { owner: 'vendas' },
    });

    const del = await adminCall('DELETE', `/workspaces/${ws}/knowledge-bases/${kb.id}`);
    expect(del.statusCode).toBe(204);
    expectError(await adminCall('GET', `/workspaces/${ws}/knowledge-bases/${kb.id}`), 404, 'not_found');
    expectError(await adminCall('DELETE', `/workspaces/${ws}/knowledge-bases/${kb.id}`), 404, 'not_found');
    // the name is free again
    expect(
      (await adminCall('POST', `/workspaces/${ws}/knowledge-bases`, { name: 'Catálogo 2026' })).statusCode,
    ).toBe(200);
  });

  it('validates: names unique per workspace (case-insensitive), lengths, metadata size', async () => {
    const ws = await newWorkspace(t);
    await adminCall('POST', `/workspaces/${ws}/knowledge-bases`, { name: 'Manual' });
    const dup = expectError(
      await adminCall('POST', `/workspaces/${ws}/knowledge-bases`, { name: 'MANUAL' }),
      422,
      'validation_error',
    );
    expect(JSON.stringify(dup.error.context)).toContain('name');
    expectError(await adminCall('POST', `/workspaces/${ws}/knowledge-bases`, {}), 400, 'invalid_request');
    expectError(
      await adminCall('POST', `/workspaces/${ws}/knowledge-bases`, { name: '' }),
      422,
      'validation_error',
    );
    expectError(
      await adminCall('POST', `/workspaces/${ws}/knowledge-bases`, {
        name: 'x',
        metadata: { b: 'x'.repeat(17_000) },
      }),
      422,
      'validation_error',
    );
    // another workspace may use the same name
    const other = await newWorkspace(t);
    expect(
      (await adminCall('POST', `/workspaces/${other}/knowledge-bases`, { name: 'Manual' })).statusCode,
    ).toBe(200);
    expectError(await adminCall('GET', `/workspaces/${MISSING_ID}/knowledge-bases`), 404, 'not_found');
    expectError(await adminCall('GET', `/workspaces/${ws}/knowledge-bases/nope`), 404, 'not_found');
  });

  it('admin keys reach their own workspace only; agent:run keys and no credential are refused', async () => {
    const w = await evaWorld(t);
    const kb = await newKnowledgeBase(t, w.ws);
    expect(
      (await adminCall('GET', `/workspaces/${w.ws}/knowledge-bases/${kb}`, undefined, w.admin)).statusCode,
    ).toBe(200);
    const other = await evaWorld(t);
    expectError(
      await adminCall('GET', `/workspaces/${w.ws}/knowledge-bases/${kb}`, undefined, other.admin),
      404,
      'not_found',
    );
    expectError(
      await adminCall('GET', `/workspaces/${w.ws}/knowledge-bases`, undefined, w.h),
      403,
      'insufficient_scope',
    );
    expectError(
      await adminCall('GET', `/workspaces/${w.ws}/knowledge-bases`, undefined, {}),
      401,
      'missing_api_key',
    );
  });
});

describe('management API: linking agents to knowledge bases', () => {
  it('PUT replaces the links (stored in the agent extras), GET reads them back, [] unlinks', async () => {
    const w = await evaWorld(t);
    const a = await newKnowledgeBase(t, w.ws);
    const b = await newKnowledgeBase(t, w.ws);
    const put = await adminCall('PUT', `/workspaces/${w.ws}/agents/${w.agentId}/knowledge-bases`, {
      knowledge_base_ids: [a, b, a],
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toEqual({ agent_id: w.agentId, knowledge_base_ids: [a, b] });
    const got = await adminCall('GET', `/workspaces/${w.ws}/agents/${w.agentId}/knowledge-bases`);
    expect(got.json()).toEqual({ agent_id: w.agentId, knowledge_base_ids: [a, b] });
    // other agent fields are untouched
    const agent = await adminCall('GET', `/workspaces/${w.ws}/agents/${w.agentId}`);
    expect(agent.statusCode).toBe(200);
    const cleared = await adminCall('PUT', `/workspaces/${w.ws}/agents/${w.agentId}/knowledge-bases`, {
      knowledge_base_ids: [],
    });
    expect(cleared.json()).toEqual({ agent_id: w.agentId, knowledge_base_ids: [] });
  });

  it('422 naming each unknown, deleted or foreign knowledge base; nothing changes; 404 unknown agent', async () => {
    const w = await evaWorld(t);
    const a = await newKnowledgeBase(t, w.ws);
    const gone = await newKnowledgeBase(t, w.ws);
    await adminCall('DELETE', `/workspaces/${w.ws}/knowledge-bases/${gone}`);
    const foreign = await newKnowledgeBase(t, await newWorkspace(t));
    await adminCall('PUT', `/workspaces/${w.ws}/agents/${w.agentId}/knowledge-bases`, {
      knowledge_base_ids: [a],
    });
    const bad = expectError(
      await adminCall('PUT', `/workspaces/${w.ws}/agents/${w.agentId}/knowledge-bases`, {
        knowledge_base_ids: [a, gone, 'nope', foreign],
      }),
      422,
      'validation_error',
    );
    const paths = (bad.error.context['issues'] as Array<{ path: string }>).map((i) => i.path);
    expect(paths).toEqual(['knowledge_base_ids[1]', 'knowledge_base_ids[2]', 'knowledge_base_ids[3]']);
    const got = await adminCall('GET', `/workspaces/${w.ws}/agents/${w.agentId}/knowledge-bases`);
    expect(got.json()).toEqual({ agent_id: w.agentId, knowledge_base_ids: [a] });
    expectError(
      await adminCall('PUT', `/workspaces/${w.ws}/agents/${MISSING_ID}/knowledge-bases`, {
        knowledge_base_ids: [],
      }),
      404,
      'not_found',
    );
    expectError(
      await adminCall('PUT', `/workspaces/${w.ws}/agents/${w.agentId}/knowledge-bases`, {
        knowledge_base_ids: 'x',
      }),
      422,
      'validation_error',
    );
  });

  it('an admin key limited to some agents may not link others (403)', async () => {
    const w = await evaWorld(t);
    const other = await newAgent(t, w.ws);
    const limited = bearer(
      (await newKey(t, w.ws, { type: 'secret', scopes: ['admin'], agent_ids: [w.agentId] })).key,
    );
    expectError(
      await adminCall(
        'PUT',
        `/workspaces/${w.ws}/agents/${other}/knowledge-bases`,
        { knowledge_base_ids: [] },
        limited,
      ),
      403,
      'agent_not_allowed',
    );
    expect(
      (
        await adminCall(
          'PUT',
          `/workspaces/${w.ws}/agents/${w.agentId}/knowledge-bases`,
          { knowledge_base_ids: [] },
          limited,
        )
      ).statusCode,
    ).toBe(200);
  });

  it('missingKnowledgeBaseIds names the ids that are not live knowledge bases of the workspace', async () => {
    const w = await evaWorld(t);
    const a = await newKnowledgeBase(t, w.ws);
    const foreign = await newKnowledgeBase(t, await newWorkspace(t));
    expect(await missingKnowledgeBaseIds(t.db.db, w.ws, [a, 'x', foreign, a, MISSING_ID])).toEqual([
      'x',
      foreign,
      MISSING_ID,
    ]);
    expect(await missingKnowledgeBaseIds(t.db.db, w.ws, [])).toEqual([]);
    // the dataset is visible on the EvaGPT surface of the same workspace only
    const list = await eva(t, 'GET', '/dataset', w.h);
    expect(list.json<Array<{ id: string }>>().map((d) => d.id)).toEqual([a]);
  });
});
