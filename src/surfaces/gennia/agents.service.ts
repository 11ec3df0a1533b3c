import type { AgentState } from '../../features/agents/agent-versions.js';
import type { AgentsService } from '../../features/agents/agents.service.js';
import { requireScope, type KeyPrincipal } from '../../features/keys/principal.js';
import { AgentNotAllowedError } from '../../platform/errors.js';
import {
  applyModelPatch,
  applySettings,
  avatarOf,
  categoriesOf,
  listItem,
  runtimeOut,
  settingsOf,
  storedOut,
  thinkingOf,
  type ModelPatch,
} from './agents.mapper.js';
import type { GenniaModels, ModelInfo } from './models.service.js';
import {
  offsetOf,
  paged,
  type AgentListQuery,
  type CreateAgentBody,
  type Paged,
  type PublicAgent,
  type PublicAgentListItem,
  type PublicAgentModel,
  type PublicAgentPrompt,
  type PublicAgentVersionListItem,
  type PublicAgentVersionSnapshot,
  type UpdateAgentBody,
} from './schemas.js';

/**
 * Gennia agents over Papo's draft/version core (gennia.md §4): identity fields (name,
 * description, avatarUrl, categories) apply at once; everything else edits the draft.
 */
export interface GenniaAgents {
  list(p: KeyPrincipal, q: AgentListQuery): Promise<Paged<PublicAgentListItem>>;
  create(p: KeyPrincipal, body: CreateAgentBody): Promise<PublicAgent>;
  get(p: KeyPrincipal, agentId: string): Promise<PublicAgent>;
  update(p: KeyPrincipal, agentId: string, body: UpdateAgentBody): Promise<PublicAgent>;
  remove(p: KeyPrincipal, agentId: string): Promise<void>;
  publish(p: KeyPrincipal, agentId: string, notes: string | undefined): Promise<PublicAgent>;
  versions(
    p: KeyPrincipal,
    agentId: string,
    q: { page: number; limit: number },
  ): Promise<Paged<PublicAgentVersionListItem>>;
  version(
    p: KeyPrincipal,
    agentId: string,
    version: number | 'published',
  ): Promise<PublicAgentVersionSnapshot>;
  restore(p: KeyPrincipal, agentId: string, version: number): Promise<PublicAgent>;
  getModel(p: KeyPrincipal, agentId: string): Promise<PublicAgentModel>;
  updateModel(p: KeyPrincipal, agentId: string, body: ModelPatch): Promise<PublicAgentModel>;
  getPrompt(p: KeyPrincipal, agentId: string): Promise<PublicAgentPrompt>;
  updatePrompt(
    p: KeyPrincipal,
    agentId: string,
    body: { systemPrompt?: string | null; dynamicPromptEnabled?: boolean | null },
  ): Promise<PublicAgentPrompt>;
}

export function createGenniaAgents(deps: { agents: AgentsService; models: GenniaModels }): GenniaAgents {
  const { agents, models } = deps;
  const ws = (p: KeyPrincipal) => p.workspaceId;

  async function modelOf(model: string): Promise<ModelInfo | undefined> {
    return model === '' ? undefined : (await models.describe([model])).get(model);
  }

  async function toAgent(s: AgentState): Promise<PublicAgent> {
    return {
      publicId: s.id,
      name: s.name,
      description: s.description,
      avatarUrl: avatarOf(s),
      categories: categoriesOf(s),
      status: s.status,
      draftVersionNumber: s.publishedVersion + 1,
      publishedVersionNumber: s.publishedVersion === 0 ? null : s.publishedVersion,
      hasUnpublishedChanges: s.hasUnpublishedChanges,
      hasExternalChannel: false,
      ...runtimeOut(s.draft, await modelOf(s.draft.model)),
      ...storedOut(settingsOf(s.draft)),
      createdAt: s.createdAt.toISOString(),
      updatedAt: s.updatedAt.toISOString(),
    };
  }

  async function modelView(s: AgentState): Promise<PublicAgentModel> {
    const m = await modelOf(s.draft.model);
    const thinking = thinkingOf(s.draft);
    return {
      aiModelPublicId: m?.publicId ?? null,
      aiModelName: m?.name ?? null,
      modelId: m?.modelId ?? null,
      provider: m?.provider ?? null,
      temperature: s.draft.temperature,
      thinkingEnabled: thinking.enabled,
      thinkingEffort: thinking.effort,
      capabilities: m?.capabilities ?? null,
    };
  }

  const promptView = (s: AgentState): PublicAgentPrompt => ({
    systemPrompt: s.draft.instructions === '' ? null : s.draft.instructions,
    dynamicPromptEnabled: settingsOf(s.draft)['dynamicPromptEnabled'] === true,
    variables: [],
  });

  /** `undefined` = model untouched; `null` = cleared; otherwise the resolved model. */
  async function patchedModel(id: string | null | undefined): Promise<ModelInfo | null | undefined> {
    if (id === undefined || id === null) return id;
    return models.resolve(id);
  }

  return {
    async list(p, q) {
      const statuses = [...(q.status ?? []), ...(q['status[]'] ?? [])] as AgentState['status'][];
      const categories = [...(q.categories ?? []), ...(q['categories[]'] ?? [])];
      const { items, total } = await agents.listAgentStates(ws(p), {
        limit: q.limit,
        offset: offsetOf(q),
        statuses,
        search: q.search,
        categories,
        includeArchived: q.includeArchived,
        agentIds: p.agentIds,
      });
      return paged(items.map(listItem), total, q);
    },

    async create(p, body) {
      requireScope(p, 'admin');
      if (p.agentIds) throw new AgentNotAllowedError('');
      const extras: Record<string, unknown> = { categories: body.categories ?? [] };
      if (body.avatarUrl !== undefined) extras['avatar_url'] = body.avatarUrl;
      return toAgent(
        await agents.createDraftAgent(ws(p), {
          name: body.name,
          description: body.description ?? null,
          extras,
        }),
      );
    },

    async get(p, agentId) {
      return toAgent(await agents.getAgentState(ws(p), agentId));
    },

    async update(p, agentId, body) {
      requireScope(p, 'admin');
      await agents.getAgentState(ws(p), agentId); // 404 before the model lookup
      const model = await patchedModel(body.aiModelPublicId);
      const state = await agents.editAgentDraft(ws(p), agentId, (cur) => {
        const extras = { ...cur.extras };
        if (body.categories !== undefined) extras['categories'] = body.categories;
        if (body.avatarUrl !== undefined) extras['avatar_url'] = body.avatarUrl;
        let draft = applyModelPatch(cur.draft, body, model);
        if (body.systemPrompt !== undefined) draft = { ...draft, instructions: body.systemPrompt ?? '' };
        draft = applySettings(draft, body);
        return { name: body.name, description: body.description, extras, draft };
      });
      return toAgent(state);
    },

    async remove(p, agentId) {
      requireScope(p, 'admin');
      await agents.deleteAgent(ws(p), agentId);
    },

    async publish(p, agentId, notes) {
      requireScope(p, 'admin');
      return toAgent(await agents.publishAgentDraft(ws(p), agentId, { notes: notes ?? null }));
    },

    async versions(p, agentId, q) {
      const { items, total } = await agents.listAgentVersions(ws(p), agentId, {
        limit: q.limit,
        offset: offsetOf(q),
      });
      const out = items.map((v) => ({
        versionNumber: v.version,
        notes: v.notes,
        createdAt: v.createdAt.toISOString(),
      }));
      return paged(out, total, q);
    },

    async version(p, agentId, version) {
      const v = await agents.getAgentVersion(ws(p), agentId, version);
      return {
        versionNumber: v.version,
        notes: v.notes,
        createdAt: v.createdAt.toISOString(),
        ...runtimeOut(v, await modelOf(v.model)),
        ...storedOut(settingsOf(v)),
        variablesSnapshot: {},
        httpTools: [],
        knowledgeSources: [],
        skills: [],
        subAgents: [],
      };
    },

    async restore(p, agentId, version) {
      requireScope(p, 'admin');
      return toAgent(await agents.restoreAgentVersion(ws(p), agentId, version));
    },

    async getModel(p, agentId) {
      return modelView(await agents.getAgentState(ws(p), agentId));
    },

    async updateModel(p, agentId, body) {
      requireScope(p, 'admin');
      await agents.getAgentState(ws(p), agentId);
      const model = await patchedModel(body.aiModelPublicId);
      const state = await agents.editAgentDraft(ws(p), agentId, (cur) => ({
        draft: applyModelPatch(cur.draft, body, model),
      }));
      return modelView(state);
    },

    async getPrompt(p, agentId) {
      return promptView(await agents.getAgentState(ws(p), agentId));
    },

    async updatePrompt(p, agentId, body) {
      requireScope(p, 'admin');
      const state = await agents.editAgentDraft(ws(p), agentId, (cur) => {
        let draft = cur.draft;
        if (body.systemPrompt !== undefined) draft = { ...draft, instructions: body.systemPrompt ?? '' };
        return { draft: applySettings(draft, { dynamicPromptEnabled: body.dynamicPromptEnabled }) };
      });
      return promptView(state);
    },
  };
}
