import type { AgentState, AgentVersion } from '../../features/agents/agent-versions.js';
import type { AgentRuntime } from '../../platform/db/schema/index.js';
import { GenniaError } from './errors.js';
import { capabilitiesOf, splitModel, type ModelInfo } from './models.service.js';
import {
  STORED_BOOLEANS,
  STORED_VALUES,
  type PublicAgentListItem,
  type StoredSettingsOut,
} from './schemas.js';

/**
 * Gennia's agent fields over Papo's agent state (gennia.md §4.5): Gennia-only settings live in
 * the draft's `extras.gennia` (versioned with it); thinking in the draft's `thinking`.
 */
type Settings = Record<string, unknown>;

export const settingsOf = (runtime: Pick<AgentRuntime, 'extras'>): Settings =>
  (runtime.extras?.['gennia'] as Settings | undefined) ?? {};

export function storedOut(s: Settings): StoredSettingsOut {
  const out: Record<string, unknown> = {};
  for (const k of STORED_BOOLEANS) out[k] = s[k] === true;
  for (const k of STORED_VALUES) out[k] = s[k] ?? null;
  return out as StoredSettingsOut;
}

export function thinkingOf(runtime: Pick<AgentRuntime, 'thinking'>): {
  enabled: boolean;
  effort: string | null;
} {
  const t = runtime.thinking ?? {};
  return { enabled: t['enabled'] === true, effort: typeof t['effort'] === 'string' ? t['effort'] : null };
}

export function runtimeOut(r: AgentRuntime | AgentVersion, model: ModelInfo | undefined) {
  const thinking = thinkingOf(r);
  return {
    aiModelPublicId: model?.publicId ?? null,
    aiModelName: model?.name ?? null,
    systemPrompt: r.instructions === '' ? null : r.instructions,
    temperature: r.temperature,
    thinkingEnabled: thinking.enabled,
    thinkingEffort: thinking.effort,
  };
}

export const avatarOf = (s: AgentState) =>
  typeof s.extras['avatar_url'] === 'string' ? s.extras['avatar_url'] : null;
export const categoriesOf = (s: AgentState) =>
  Array.isArray(s.extras['categories']) ? (s.extras['categories'] as string[]) : [];

export function listItem(s: AgentState): PublicAgentListItem {
  return {
    publicId: s.id,
    name: s.name,
    avatarUrl: avatarOf(s),
    status: s.status,
    draftVersionNumber: s.publishedVersion + 1,
    publishedVersionNumber: s.publishedVersion === 0 ? null : s.publishedVersion,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

/** Fields of a PATCH that edit the model part of the draft (PATCH agent and PATCH model). */
export interface ModelPatch {
  aiModelPublicId?: string | null;
  temperature?: number | null;
  thinkingEnabled?: boolean | null;
  thinkingEffort?: string | null;
}

/** The draft after a model patch, refusing what the resulting model cannot do (422). */
export function applyModelPatch(
  draft: AgentRuntime,
  patch: ModelPatch,
  model: ModelInfo | null | undefined,
): AgentRuntime {
  const next: AgentRuntime = { ...draft };
  if (model !== undefined) next.model = model?.model ?? '';
  if (patch.temperature !== undefined) next.temperature = patch.temperature;
  if (patch.thinkingEnabled !== undefined || patch.thinkingEffort !== undefined) {
    const cur = thinkingOf(draft);
    const enabled = patch.thinkingEnabled === undefined ? cur.enabled : patch.thinkingEnabled === true;
    const effort = patch.thinkingEffort === undefined ? cur.effort : patch.thinkingEffort;
    next.thinking = enabled || effort !== null ? { enabled, effort } : null;
  }
  const caps = next.model === '' ? null : capabilitiesOf(splitModel(next.model).provider);
  const touchesModel = model !== undefined;
  if (caps && next.temperature !== null && (touchesModel || patch.temperature !== undefined)) {
    const t = next.temperature;
    if (!caps.supportsTemperature || t < (caps.minTemperature ?? 0) || t > (caps.maxTemperature ?? 2)) {
      throw new GenniaError(
        'TEMPERATURE_NOT_SUPPORTED',
        422,
        `This model accepts temperatures from ${caps.minTemperature ?? 0} to ${caps.maxTemperature ?? 2}.`,
      );
    }
  }
  if (
    caps &&
    !caps.supportsThinking &&
    thinkingOf(next).enabled &&
    (touchesModel || patch.thinkingEnabled === true)
  ) {
    throw new GenniaError('THINKING_NOT_SUPPORTED', 422, 'This model does not support thinking.');
  }
  return next;
}

export function applySettings(runtime: AgentRuntime, patch: Record<string, unknown>): AgentRuntime {
  const settings = { ...settingsOf(runtime) };
  let touched = false;
  for (const k of [...STORED_BOOLEANS, ...STORED_VALUES]) {
    if (patch[k] === undefined) continue;
    touched = true;
    if (patch[k] === null) delete settings[k];
    else settings[k] = patch[k];
  }
  return touched ? { ...runtime, extras: { ...runtime.extras, gennia: settings } } : runtime;
}
