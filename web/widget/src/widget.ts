import type { SseEvent } from '../../shared/sse.ts';
import { ApiError, PublicApi, type Block, type Message, type PublicFile } from './api.ts';
import { pickLang, textsFor } from './i18n.ts';
import { Store } from './store.ts';
import { ChatView } from './view.ts';

export interface WidgetOptions {
  base: string;
  agentId: string;
  publicKey: string;
  greeting: string;
  title: string;
  color: string;
  /** Seconds without activity before the inactivity warning / then before the final message; 0 = off. */
  idleWarning: number;
  idleFinal: number;
  lang: string | null;
}

/** The conversation behind the chat panel: Public Chat API calls, streams, reloads, idle time. */
export class Widget {
  private readonly api: PublicApi;
  private readonly store: Store;
  private readonly view: ChatView;
  private lang: 'pt-BR' | 'en';
  private status: 'none' | 'active' | 'closed' | 'expired' = 'none';
  private busy = false;
  private pending: PublicFile[] = [];
  private timer: number | undefined;
  private profile: Promise<void> | undefined;

  constructor(
    host: HTMLElement,
    private readonly o: WidgetOptions,
  ) {
    this.api = new PublicApi(o.base, o.publicKey, o.agentId);
    this.store = new Store(o.agentId);
    this.api.onSession = (s) =>
      this.store.save({ conversationId: s.conversationId, token: s.token, expiresAt: s.expiresAt });
    this.lang = pickLang(o.lang ?? document.documentElement.lang);
    this.view = new ChatView(host, textsFor(this.lang), o, {
      toggled: (open) => {
        this.store.save({ open });
        if (open) this.loadProfile();
      },
      submit: (text) => void this.send(text),
      typing: () => this.touch(),
      files: (files) => void this.upload(files),
      removePending: (f) => {
        this.pending = this.pending.filter((p) => p !== f);
        this.view.renderPending(this.pending);
      },
      download: (id, name) => void this.download(id, name),
      end: () => void this.end(),
      feedback: (score, comment) => this.feedback(score, comment),
      restart: () => this.reset(),
    });
    if (!o.lang) {
      new MutationObserver(() => {
        const lang = pickLang(document.documentElement.lang);
        if (lang !== this.lang) this.view.setTexts(textsFor((this.lang = lang)));
      }).observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
    }
    void this.restore();
  }

  open(): void {
    this.view.toggle(true);
  }
  close(): void {
    this.view.toggle(false);
  }

  /**
   * The agent's name, greeting and availability, read once per page load when the chat is first
   * opened (most visitors never open it). A failure only costs the greeting: the chat still works.
   */
  private loadProfile(): void {
    this.profile ??= this.api.profile().then(
      (p) => this.view.setProfile(p.name, p.greeting ?? '', p.available),
      (err: unknown) => console.warn(`[papo] agent profile: ${err instanceof Error ? err.message : err}`),
    );
  }

  private setBusy(busy: boolean): void {
    this.busy = busy;
    this.view.busy(busy);
  }

  /** After a reload: token, state, history, files, and any reply still streaming. */
  private async restore(): Promise<void> {
    const saved = this.store.load();
    if (!saved) return;
    this.api.session = {
      conversationId: saved.conversationId,
      token: saved.token,
      expiresAt: saved.expiresAt,
    };
    try {
      const state = await this.api.state();
      const [messages, files] = await Promise.all([this.api.messages(), this.api.files()]);
      for (const f of files) this.view.fileNames.set(f.id, f);
      for (const m of messages) this.view.showMessage(m);
      this.status = state.status;
      if (saved.open) this.view.toggle(true, false);
      if (state.status !== 'active') return this.ended();
      this.view.started();
      if (saved.stream) {
        // replay the reply that was streaming from its first event, then follow it live
        this.setBusy(true);
        await this.follow(() =>
          this.api
            .resume(saved.stream!.id, 0, (e) => this.onEvent(e))
            .catch((err: unknown) => {
              if (!(err instanceof ApiError && err.status === 404)) throw err;
              this.store.save({ stream: null }); // past its replay window: the history has it
              this.setBusy(false);
            }),
        );
      }
      this.armIdle();
    } catch (err) {
      // A conversation we can no longer reach (deleted, key revoked): start afresh.
      if (err instanceof ApiError && [401, 403, 404].includes(err.status)) this.reset();
      else this.fail(err);
    }
  }

  private reset(): void {
    window.clearTimeout(this.timer);
    this.store.clear();
    this.api.session = null;
    this.status = 'none';
    this.pending = [];
    this.view.clear();
  }

  /** Conversations start with the first message or upload, not on page view. */
  private async ensureConversation(): Promise<void> {
    if (this.api.session) return;
    await this.api.create({ page_url: location.href, page_title: document.title, language: this.lang });
    this.status = 'active';
    this.view.started();
    this.store.save({ open: this.view.isOpen() });
  }

  private async send(text: string): Promise<void> {
    if (this.busy || (!text && this.pending.length === 0)) return;
    const files = this.pending;
    const blocks: Block[] = [
      ...(text ? [{ type: 'text', text }] : []),
      ...files.map((f) => ({ type: f.mime_type.startsWith('image/') ? 'image' : 'file', file_id: f.id })),
    ];
    this.view.takeInput();
    this.pending = [];
    this.view.renderPending([]);
    this.setBusy(true);
    window.clearTimeout(this.timer);
    try {
      await this.ensureConversation();
      const adopt = this.view.showLocal(
        text,
        files.map((f) => f.id),
      );
      await this.follow(() =>
        this.api.stream(files.length ? blocks : text, (e) => {
          if (e.event === 'message.created') adopt((JSON.parse(e.data) as { message: Message }).message.id);
          this.onEvent(e);
        }),
      );
    } catch (err) {
      this.fail(err);
    }
  }

  /** Runs a stream; if the connection drops, resumes it with Last-Event-ID (P14). */
  private async follow(run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (err) {
      // ApiError = refused before the stream started; anything else = the connection dropped
      if (err instanceof ApiError) return this.fail(err);
    }
    for (let attempt = 0; this.busy && attempt < 3; attempt++) {
      const s = this.store.load()?.stream;
      if (!s) break;
      await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
      await this.api.resume(s.id, s.lastEventId, (e) => this.onEvent(e)).catch(() => undefined);
    }
    if (this.busy) {
      this.setBusy(false);
      this.view.say(this.view.t.error, true);
    }
  }

  private onEvent(e: SseEvent): void {
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(e.data) as Record<string, unknown>;
    } catch {
      return;
    }
    switch (e.event) {
      case 'stream.started':
        this.store.save({ stream: { id: String(data['stream_id']), lastEventId: Number(e.id) } });
        return;
      case 'message.created': {
        const m = data['message'] as Message;
        if (!this.view.has(m.id)) this.view.showMessage(m);
        break;
      }
      case 'agent_message.delta':
        this.view.appendDelta(String(data['message_id']), String(data['delta'] ?? ''));
        break;
      case 'agent_message.completed':
        this.view.showMessage(data['message'] as Message);
        break;
      case 'error':
        if ((data['error'] as { code?: string } | undefined)?.code === 'conversation_closed')
          this.status = 'closed';
        this.view.say(this.view.t.failed, true);
        break;
      case 'done':
        this.store.save({ stream: null });
        this.setBusy(false);
        if (this.status === 'closed') this.ended();
        else this.touch();
        return;
      default:
        break;
    }
    const s = this.store.load()?.stream;
    if (s && Number.isFinite(Number(e.id)))
      this.store.save({ stream: { id: s.id, lastEventId: Number(e.id) } });
  }

  private fail(err: unknown): void {
    this.setBusy(false);
    const t = this.view.t;
    if (err instanceof ApiError) {
      // for the site owner: origin_not_allowed, invalid_api_key, agent_unavailable…
      console.warn(`[papo] ${err.code}: ${err.message}`);
      if (err.code === 'conversation_closed') {
        this.status = 'closed';
        return this.ended();
      }
      if (err.code === 'rate_limited') return this.view.say(t.rateLimited, true);
      if (err.code === 'file_too_large') return this.view.say(t.tooLarge, true);
      if (err.code === 'unsupported_media_type') return this.view.say(t.unsupported, true);
    }
    this.view.say(t.error, true);
  }

  private async upload(files: File[]): Promise<void> {
    if (files.length === 0) return;
    this.view.say(this.view.t.uploading);
    try {
      await this.ensureConversation();
      for (const f of files.slice(0, 10 - this.pending.length)) {
        const stored = await this.api.upload(f);
        this.view.fileNames.set(stored.id, stored);
        this.pending.push(stored);
      }
      this.view.say('');
    } catch (err) {
      this.fail(err);
    }
    this.view.renderPending(this.pending);
    this.touch();
  }

  private async download(id: string, name: string): Promise<void> {
    try {
      const blob = await this.api.download(id);
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = name;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    } catch (err) {
      this.fail(err);
    }
  }

  /** The user did something: the idle clock starts again. */
  private touch(): void {
    if (this.status !== 'active') return;
    this.store.save({ idleSince: Date.now(), warned: false });
    this.armIdle();
  }

  /** Schedules the next inactivity step (P5), counted from the last activity, across reloads. */
  private armIdle(): void {
    window.clearTimeout(this.timer);
    const saved = this.store.load();
    if (this.status !== 'active' || this.busy || !saved) return;
    const since = saved.idleSince ?? Date.now();
    if (!saved.idleSince) this.store.save({ idleSince: since, warned: false });
    const step = saved.warned ? 'final' : 'warning';
    const seconds = step === 'final' ? this.o.idleFinal : this.o.idleWarning;
    if (seconds <= 0) return;
    this.timer = window.setTimeout(
      () => void this.nudge(step),
      Math.max(0, since + seconds * 1000 - Date.now()),
    );
  }

  private async nudge(step: 'warning' | 'final'): Promise<void> {
    if (this.busy || this.status !== 'active') return;
    try {
      const r = await this.api.inactivity(step);
      this.view.showMessage(r.message);
      this.store.save({ idleSince: Date.now(), warned: true });
      if (r.conversation_status === 'active') return this.armIdle();
      this.status = r.conversation_status as 'closed' | 'expired';
      this.ended();
    } catch (err) {
      this.fail(err);
    }
  }

  private async end(): Promise<void> {
    try {
      await this.api.terminate();
      this.status = 'closed';
      this.ended();
    } catch (err) {
      this.fail(err);
    }
  }

  private ended(): void {
    window.clearTimeout(this.timer);
    this.view.showEnded(!!this.store.load()?.feedbackSent);
  }

  private async feedback(score: number, comment: string): Promise<void> {
    try {
      await this.api.feedback(score, comment);
    } catch (err) {
      this.fail(err);
      throw err;
    }
    this.store.save({ feedbackSent: true });
    this.ended();
    this.view.say(this.view.t.thanks);
  }
}
