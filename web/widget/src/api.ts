import { PAPO_STREAM_IDLE_MS, readSse, type SseEvent } from '../../shared/sse.ts';

/** The Public Chat API as a page uses it (quintus.md P1–P14): a public key, then a session token. */

export interface Block {
  type: string;
  text?: string;
  file_id?: string;
}
export interface Message {
  id: string;
  role: 'user' | 'assistant' | 'system' | 'tool';
  content: Block[];
  status: 'completed' | 'incomplete' | 'failed';
  created_at: string;
}
export interface PublicFile {
  id: string;
  name: string;
  size: number;
  mime_type: string;
}
export interface ConversationState {
  id: string;
  status: 'active' | 'closed' | 'expired';
  messages_count: number;
}
/** `GET /v1/public/agents/{id}/profile` (Papo extension): what the widget shows before any conversation. */
export interface AgentProfile {
  id: string;
  name: string;
  greeting: string | null;
  avatar_url: string | null;
  /** The agent can take conversations now. */
  available: boolean;
}
export interface Session {
  conversationId: string;
  token: string;
  /** Token expiry, epoch ms. */
  expiresAt: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

async function fail(res: Response): Promise<never> {
  let code = 'http_error';
  let message = `HTTP ${res.status}`;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {
    // not an envelope
  }
  const retry = Number(res.headers.get('retry-after'));
  throw new ApiError(res.status, code, message, Number.isFinite(retry) && retry > 0 ? retry : undefined);
}

export class PublicApi {
  session: Session | null = null;
  /** Called whenever the session (token) changes, so it can be persisted. */
  onSession: (s: Session) => void = () => {};

  constructor(
    private readonly base: string,
    private readonly publicKey: string,
    readonly agentId: string,
  ) {}

  private url(path: string): string {
    return `${this.base}/v1/public/agents/conversations${path}`;
  }

  private setSession(conversationId: string, body: { session_token: string; expires_in: number }) {
    this.session = {
      conversationId,
      token: body.session_token,
      expiresAt: Date.now() + body.expires_in * 1000,
    };
    this.onSession(this.session);
  }

  /** The agent's public profile; reading it creates no conversation. */
  async profile(): Promise<AgentProfile> {
    const res = await fetch(`${this.base}/v1/public/agents/${encodeURIComponent(this.agentId)}/profile`, {
      headers: { 'X-API-Key': this.publicKey },
    });
    if (!res.ok) await fail(res);
    return (await res.json()) as AgentProfile;
  }

  /** P1 */
  async create(context: Record<string, unknown>): Promise<void> {
    const res = await fetch(this.url(''), {
      method: 'POST',
      headers: { 'X-API-Key': this.publicKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ agent_id: this.agentId, context }),
    });
    if (!res.ok) await fail(res);
    const body = (await res.json()) as { id: string; session_token: string; expires_in: number };
    this.setSession(body.id, body);
  }

  /** P3: a fresh token from the public key (older tokens stay valid until they expire). */
  async refresh(): Promise<void> {
    const id = this.session?.conversationId;
    if (!id) throw new ApiError(0, 'no_conversation', 'no conversation');
    const res = await fetch(this.url(`/${id}/token/refresh`), {
      method: 'POST',
      headers: { 'X-API-Key': this.publicKey },
    });
    if (!res.ok) await fail(res);
    this.setSession(id, (await res.json()) as { session_token: string; expires_in: number });
  }

  /** A Bearer call inside the conversation; refreshes the token first when it is (nearly) expired. */
  async call(path: string, init: RequestInit = {}, retried = false): Promise<Response> {
    const s = this.session;
    if (!s) throw new ApiError(0, 'no_conversation', 'no conversation');
    if (s.expiresAt - Date.now() < 30_000) await this.refresh();
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${this.session!.token}`);
    if (typeof init.body === 'string') headers.set('Content-Type', 'application/json');
    const res = await fetch(this.url(`/${s.conversationId}${path}`), { ...init, headers });
    if (res.status === 401 && !retried) {
      const code = await res
        .clone()
        .json()
        .then((b: { error?: { code?: string } }) => b.error?.code)
        .catch(() => undefined);
      // expired, or no longer accepted (PAPO_SECRET rotated): a new token from the public key
      if (code === 'session_token_expired' || code === 'invalid_session_token') {
        await this.refresh();
        return this.call(path, init, true);
      }
    }
    if (!res.ok) await fail(res);
    return res;
  }

  async json<T>(path: string, init?: RequestInit): Promise<T> {
    return (await (await this.call(path, init)).json()) as T;
  }

  /** P2 */
  state(): Promise<ConversationState> {
    return this.json('');
  }

  /** P8, every page (oldest first). */
  async messages(): Promise<Message[]> {
    const all: Message[] = [];
    let offset: number | null = 0;
    for (let page = 0; offset !== null && page < 10; page++) {
      const body: { items: Message[]; next_offset: number | null } = await this.json(
        `/messages?limit=100&offset=${offset}`,
      );
      all.push(...body.items);
      offset = body.next_offset;
    }
    return all;
  }

  /** P11 */
  async files(): Promise<PublicFile[]> {
    return (await this.json<{ items: PublicFile[] }>('/files?limit=100')).items;
  }

  /** P10 */
  upload(file: File): Promise<PublicFile> {
    const form = new FormData();
    form.append('file', file, file.name);
    return this.json('/files', { method: 'POST', body: form });
  }

  /** P13 */
  async download(fileId: string): Promise<Blob> {
    return (await this.call(`/files/${fileId}/content`)).blob();
  }

  /** P7: streams the reply; resolves when the stream ends (normally after `done`). */
  async stream(content: string | Block[], onEvent: (e: SseEvent) => void): Promise<void> {
    const res = await this.call('/messages/stream', {
      method: 'POST',
      body: JSON.stringify({ content }),
      headers: { Accept: 'text/event-stream' },
    });
    await readSse(res.body!, onEvent, { idleMs: PAPO_STREAM_IDLE_MS });
  }

  /** P14: replays a stream after `lastEventId` and follows it to its end. */
  async resume(streamId: string, lastEventId: number, onEvent: (e: SseEvent) => void): Promise<void> {
    const res = await this.call(`/streams/${streamId}`, {
      headers: { 'Last-Event-ID': String(lastEventId), Accept: 'text/event-stream' },
    });
    await readSse(res.body!, onEvent, { idleMs: PAPO_STREAM_IDLE_MS });
  }

  /** P4 */
  terminate(): Promise<unknown> {
    return this.json('/terminate', { method: 'POST', body: '{}' });
  }

  /** P5 */
  inactivity(step: 'warning' | 'final'): Promise<{ message: Message; conversation_status: string }> {
    return this.json('/inactivity', { method: 'POST', body: JSON.stringify({ step }) });
  }

  /** P12 (an upsert: NPS 0–10 and an optional comment) */
  feedback(score: number, comment: string): Promise<unknown> {
    return this.json('/feedback', {
      method: 'POST',
      body: JSON.stringify({ score, comment: comment || null, metadata: { source: 'widget' } }),
    });
  }
}
