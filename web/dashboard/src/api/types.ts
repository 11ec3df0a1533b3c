/** Wire types of the management API (admin.md) and the Agent API (quintus.md) the dashboard reads. */

export interface Page<T> {
  items: T[];
  next_offset: number | null;
}

export interface Workspace {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

export type OutputFormat = 'markdown' | 'plain' | 'whatsapp' | 'slack';
export type AgentStatus = 'draft' | 'active' | 'inactive' | 'archived';

export interface Inactivity {
  warning_message?: string;
  final_message?: string;
  warning_instructions?: string;
  final_instructions?: string;
  close_on_final: boolean;
}

export interface Agent {
  id: string;
  workspace_id: string;
  name: string;
  description: string | null;
  instructions: string;
  model: string;
  temperature: number | null;
  max_output_tokens: number | null;
  greeting: string | null;
  history_limit: number;
  idle_ttl_seconds: number;
  session_token_ttl_seconds: number;
  inactivity: Inactivity;
  output_format: OutputFormat;
  status: AgentStatus;
  published_version: number;
  created_at: string;
  updated_at: string;
}

export type AgentInput = Partial<
  Pick<
    Agent,
    | 'name'
    | 'description'
    | 'instructions'
    | 'model'
    | 'temperature'
    | 'max_output_tokens'
    | 'greeting'
    | 'idle_ttl_seconds'
    | 'inactivity'
    | 'output_format'
    | 'status'
  >
>;

export interface AgentVersion {
  version: number;
  instructions: string;
  model: string;
  temperature: number | null;
  max_output_tokens: number | null;
  notes: string | null;
  created_at: string;
}

export interface ModelEntry {
  id: string;
  model: string;
  provider: string;
  label: string | null;
  available: boolean;
  price: {
    input_usd_per_mtok: number;
    cached_input_usd_per_mtok: number;
    output_usd_per_mtok: number;
  } | null;
}

export interface ModelsCatalogue {
  providers: Array<{ name: string; configured: boolean }>;
  models: ModelEntry[];
}

export interface ApiKey {
  id: string;
  name: string;
  type: 'secret' | 'public';
  prefix: string;
  scopes: string[];
  agent_ids: string[] | null;
  allowed_origins: string[] | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface CreatedKey extends ApiKey {
  key: string;
}

export type ConversationStatus = 'active' | 'closed' | 'expired';

export interface ConversationSummary {
  id: string;
  kind: 'session' | 'public';
  agent_id: string;
  status: ConversationStatus;
  channel: string;
  user: { id: string; reference: string | null } | null;
  external_user_id: string | null;
  title: string;
  is_test: boolean;
  messages_count: number;
  last_message_at: string | null;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  close_reason: string | null;
  expires_at: string;
  metadata: Record<string, unknown>;
}

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  total_tokens: number;
}

export interface ContentBlock {
  type: string;
  text?: string;
  file_id?: string;
  url?: string;
  name?: string;
  tool_call_id?: string;
  arguments?: unknown;
  result?: unknown;
  error?: { code: string; message: string };
}

export interface Message {
  id: string;
  role: 'user' | 'assistant' | 'system' | 'tool';
  content: ContentBlock[];
  created_at: string;
  metadata: Record<string, unknown>;
  status: 'completed' | 'incomplete' | 'failed';
  usage: Usage | null;
  model: string | null;
  cost_usd: number | null;
}

export interface AgentFile {
  id: string;
  name: string;
  size: number;
  mime_type: string;
  created_at: string;
  conversation_id: string | null;
}

export interface ConversationDetail extends ConversationSummary {
  context: Record<string, unknown>;
  user_data: Record<string, unknown>;
  messages: Message[];
  feedback: { id: string; score: number; comment: string | null; submitted_at: string } | null;
  files: AgentFile[];
  usage: { input_tokens: number; output_tokens: number; cached_tokens: number; cost_usd: number };
}

export interface UsageItem {
  key: string;
  messages: number;
  input_tokens: number;
  output_tokens: number;
  cached_tokens: number;
  cost_usd: number;
}

/** A knowledge base (Papo extension of admin.md: EvaGPT datasets, searched by linked agents). */
export interface KnowledgeBase {
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

/** Cursor pages (knowledge records and files). */
export interface CursorPage<T> {
  items: T[];
  next_cursor: string | null;
}

export interface KnowledgeRecord {
  id: string;
  knowledge_base_id: string;
  file_id: string | null;
  title: string | null;
  text: string;
  created_at: string;
}

export type KnowledgeFileStatus = 'processing' | 'ready' | 'failed';

export interface KnowledgeFile {
  id: string;
  knowledge_base_id: string;
  name: string;
  size: number;
  mime_type: string;
  status: KnowledgeFileStatus;
  records_count: number;
  error: string | null;
  created_at: string;
}

/** `GET/PUT …/agents/{id}/knowledge-bases` */
export interface AgentKnowledgeLinks {
  agent_id: string;
  knowledge_base_ids: string[];
}

/** An extra instruction block of an agent, applied from its next reply (not versioned). */
export interface Ability {
  id: string;
  agent_id: string;
  name: string;
  description: string | null;
  instructions: string;
  created_at: string;
  updated_at: string;
}
