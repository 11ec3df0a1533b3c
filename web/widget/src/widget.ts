import type { SseEvent } from '../../shared/sse.ts';
import { ApiError, PublicApi, type Block, type Message, type PublicFile } from './api.ts';
import { pickLang, textsFor } from './i18n.ts';
import { Store, type Saved } from './store.ts';
import { ChatView, isPhone } from './view.ts';

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

type Stream = { id: string; lastEventId: number };

/**
 * The conversation behind the chat panel: Public Chat API calls, streams, reloads, idle time.
 * Several tabs of one site share the conversation through localStorage: one idle clock, and each
 * tab follows the replies the others ask for.
 */
export class Widget {
  private readonly api: PublicApi;
  private readonly store: Store;
  private readonly view: ChatView;
  private lang: 'pt-BR' | 'en';
  private status: 'none' | 'active' | 'closed' | 'expired' = 'none';
  private busy = false;
  private pending: PublicFile[] = [];
  /** Uploads in flight, in order: a send waits for them, so the files go with its message. */
  private uploading: Promise<void> = Promise.resolve();
  /** The conversation being created (P1), shared by a send and an upload that start together. */
  private creating: Promise<void> | undefined;
  /** The stream this tab follows (another tab may follow another one) and its last event id. */
  private stream: Stream | null = null;
  /** The last stream this tab saw to its end (another tab may not have cleared it from storage yet). */
  private lastStreamId: string | null = null;
  /** The reply being streamed, to mark it failed when an `error` event comes. */
  private replyId: string | null = null;
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
    this.view = new ChatView(host, textsFor(this.lang), this.lang, o, {
      toggled: (open) => {
        this.store.save({ open });
        if (open) this.loadProfile();
      },
      submit: (text) => void this.send(text),
      typing: () => this.touch(),
      files: (files) => this.upload(files),
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
        if (lang !== this.lang) this.view.setTexts(textsFor((this.lang = lang)), lang);
      }).observe(document.documentElement, { attributes: true, attributeFilter: ['lang'] });
    }
    addEventListener('storage', (e) => {
      if (e.key === this.store.storageKey || e.key === null) this.syncFromOtherTab();
    });
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
   * opened (most visitors never open it). A key the server refuses (revoked, wrong origin) or a
   * missing agent shows the "not available" notice at once, before the visitor types anything.
   */
  private loadProfile(): void {
    this.profile ??= this.api.profile().then(
      (p) => this.view.setProfile(p.name, p.greeting ?? '', p.available),
      (err: unknown) => {
        console.warn(`[papo] agent profile: ${err instanceof Error ? err.message : err}`);
        if (err instanceof ApiError && [401, 403, 404].includes(err.status))
          this.view.setProfile('', '', false);
      },
    );
  }

  private setBusy(busy: boolean): void {
    this.busy = busy;
    this.view.busy(busy);
  }

  /** After a reload (or another tab's new conversation): token, state, history, files, a reply in flight. */
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
      // on a phone the open panel covers the whole page: each new page starts with the bubble
      if (saved.open && !isPhone()) this.view.toggle(true, false);
      if (state.status !== 'active') return this.ended();
      this.view.started();
      if (saved.stream) await this.followStream(saved.stream.id);
      this.syncFromOtherTab(); // whatever the other tabs did meanwhile; arms the idle clock
    } catch (err) {
      // A conversation we can no longer reach (deleted, key revoked): start afresh.
      if (err instanceof ApiError && [401, 403, 404].includes(err.status)) this.reset();
      else this.fail(err);
    }
  }

  /** Back to no conversation; `forgetSaved` false when another tab already changed the shared state. */
  private reset(forgetSaved = true): void {
    window.clearTimeout(this.timer);
    if (forgetSaved) this.store.clear();
    this.api.session = null;
    this.status = 'none';
    this.pending = [];
    this.stream = null;
    this.replyId = null;
    this.view.clear();
  }

  /** Another tab changed the shared state (this runs for each of its saves, so it stays cheap). */
  private syncFromOtherTab(): void {
    const saved = this.store.load();
    if (this.busy || this.creating) return; // settled when this tab's own turn ends
    if (saved?.conversationId !== this.api.session?.conversationId) {
      this.reset(false);
      void this.restore();
      return;
    }
    if (!saved || this.status !== 'active') return;
    if (saved.closed) {
      this.status = 'closed';
      void this.showNewMessages().then(() => this.ended());
      return;
    }
    if (saved.stream && saved.stream.id !== this.stream?.id && saved.stream.id !== this.lastStreamId) {
      void this.followStream(saved.stream.id);
      return;
    }
    if (saved.lastNudge && !this.view.has(saved.lastNudge)) void this.showNewMessages(); // another tab's nudge
    this.armIdle();
  }

  /** Messages stored since this tab last looked (another tab's inactivity nudges). */
  private async showNewMessages(): Promise<void> {
    try {
      for (const m of await this.api.messages()) if (!this.view.has(m.id)) this.view.showMessage(m);
    } catch {
      // the next reload shows them
    }
  }

  /** Conversations start with the first message or upload, not on page view. */
  private ensureConversation(): Promise<void> {
    if (this.api.session) return Promise.resolve();
    this.creating ??= this.api
      .create({
        // path only: query strings and fragments carry tokens and e-mails nobody meant to share
        page_url: location.origin + location.pathname,
        page_title: document.title,
        language: this.lang,
      })
      .then(() => {
        this.status = 'active';
        this.view.started();
        this.store.save({
          open: this.view.isOpen(),
          idleSince: Date.now(),
          warned: false,
          lastNudge: null,
          closed: false,
        });
      })
      .finally(() => (this.creating = undefined));
    return this.creating;
  }

  private async send(text: string): Promise<void> {
    if (this.busy) return;
    this.setBusy(true);
    window.clearTimeout(this.timer);
    await this.uploading; // a file still uploading goes with this message
    const files = this.pending;
    if (!text && files.length === 0) {
      this.setBusy(false);
      return this.armIdle();
    }
    const blocks: Block[] = [
      ...(text ? [{ type: 'text', text }] : []),
      ...files.map((f) => ({ type: f.mime_type.startsWith('image/') ? 'image' : 'file', file_id: f.id })),
    ];
    this.view.takeInput();
    this.pending = [];
    this.view.renderPending([]);
    let stored = false;
    let local: ReturnType<ChatView['showLocal']> | undefined;
    let failure: unknown = null;
    try {
      await this.ensureConversation();
      local = this.view.showLocal(
        text,
        files.map((f) => f.id),
      );
      await this.follow(() =>
        this.api.stream(files.length ? blocks : text, (e) => {
          if (e.event === 'message.created') {
            const m = (JSON.parse(e.data) as { message: Message }).message;
            if (m.role === 'user') {
              stored = true;
              local!.adopt(m.id);
            }
          }
          this.onEvent(e);
        }),
      );
    } catch (err) {
      failure = err;
    }
    if (!stored) {
      // refused (429, 409…), never sent, or the conversation closed first: nothing was stored,
      // so the text and files go back into the composer instead of being lost
      local?.remove();
      this.view.putBack(text);
      this.pending = [...files, ...this.pending];
      this.view.renderPending(this.pending);
    }
    if (failure !== null) {
      // a reply that could not be followed to its end: what arrived stays, marked failed
      if (this.replyId) this.view.markFailed(this.replyId);
      this.endStream();
      this.setBusy(false);
      this.fail(failure);
    }
    this.syncFromOtherTab(); // what the other tabs did during this turn; arms the idle clock
  }

  /** Follows a reply that started before a reload or in another tab, from its first event (P14). */
  private async followStream(id: string): Promise<void> {
    this.setBusy(true);
    this.stream = { id, lastEventId: 0 };
    try {
      await this.follow(() => this.api.resume(id, 0, (e) => this.onEvent(e)));
    } catch (err) {
      if (this.replyId) this.view.markFailed(this.replyId);
      this.endStream();
      this.setBusy(false);
      // past its replay window (404): the history already holds the reply
      if (!(err instanceof ApiError && err.status === 404)) this.fail(err);
    }
  }

  /**
   * Runs a stream to its end. If the connection drops or stalls after the stream started, it is
   * resumed with Last-Event-ID (P14), up to 3 times. Throws when the reply could not be followed.
   */
  private async follow(run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (err) {
      // ApiError = refused before the stream started; without a stream id there is nothing to resume
      if (err instanceof ApiError || !this.stream) throw err;
    }
    for (let attempt = 1; this.stream && attempt <= 3; attempt++) {
      await new Promise((r) => setTimeout(r, 500 * attempt));
      const s = this.stream;
      if (!s) break;
      const e404 = await this.api
        .resume(s.id, s.lastEventId, (e) => this.onEvent(e))
        .then(
          () => false,
          (err: unknown) => err instanceof ApiError && err.status === 404,
        );
      if (e404) throw new ApiError(404, 'not_found', 'The reply is no longer available to resume.');
    }
    if (this.stream) throw new Error('The reply stream was lost.');
  }

  private onEvent(e: SseEvent): void {
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(e.data) as Record<string, unknown>;
    } catch {
      return;
    }
    const eventId = Number(e.id);
    switch (e.event) {
      case 'stream.started':
        this.stream = { id: String(data['stream_id']), lastEventId: eventId };
        this.store.save({ stream: { id: this.stream.id } });
        return;
      case 'message.created': {
        const m = data['message'] as Message;
        if (!this.view.has(m.id)) this.view.showMessage(m);
        break;
      }
      case 'agent_message.delta':
        this.replyId = String(data['message_id']);
        this.view.appendDelta(this.replyId, String(data['delta'] ?? ''));
        break;
      case 'agent_message.completed':
        this.replyId = null;
        this.view.showMessage(data['message'] as Message);
        break;
      case 'error': {
        if ((data['error'] as { code?: string } | undefined)?.code === 'conversation_closed')
          this.status = 'closed';
        const failed = typeof data['message_id'] === 'string' ? data['message_id'] : this.replyId;
        if (failed) this.view.markFailed(failed);
        this.view.say(this.view.t.failed, true);
        break;
      }
      case 'done':
        this.endStream();
        this.setBusy(false);
        if (this.status === 'closed') this.ended();
        else this.touch();
        return;
      default:
        break;
    }
    // in memory only: a reload or another tab replays the stream from its first event
    if (this.stream && Number.isFinite(eventId)) this.stream.lastEventId = eventId;
  }

  /** This tab's stream is over; the shared record goes too unless it is already another tab's. */
  private endStream(): void {
    if (this.stream && this.store.load()?.stream?.id === this.stream.id) this.store.save({ stream: null });
    this.lastStreamId = this.stream?.id ?? this.lastStreamId;
    this.stream = null;
    this.replyId = null;
  }

  private fail(err: unknown): void {
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

  private upload(files: File[]): void {
    if (files.length === 0) return;
    this.uploading = this.uploading.then(async () => {
      this.view.say(this.view.t.uploading);
      try {
        await this.ensureConversation();
        for (const f of files.slice(0, Math.max(0, 10 - this.pending.length))) {
          const stored = await this.api.upload(f);
          this.view.fileNames.set(stored.id, stored);
          this.pending.push(stored);
          this.view.renderPending(this.pending);
        }
        this.view.say(this.busy ? this.view.t.typing : '');
      } catch (err) {
        this.fail(err);
      }
      this.touch();
    });
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

  /** The user did something: the shared idle clock starts again. */
  private touch(): void {
    if (this.status !== 'active') return;
    this.store.save({ idleSince: Date.now(), warned: false });
    this.armIdle();
  }

  /** The next inactivity step and when it is due, counted from the last activity in any tab. */
  private nextNudge(saved: Saved): { step: 'warning' | 'final'; at: number } | null {
    const since = saved.idleSince ?? Date.now();
    if (!saved.warned && this.o.idleWarning > 0)
      return { step: 'warning', at: since + this.o.idleWarning * 1000 };
    if (this.o.idleFinal > 0) return { step: 'final', at: since + this.o.idleFinal * 1000 };
    return null;
  }

  /** Schedules the next inactivity step (P5), across reloads and tabs. */
  private armIdle(): void {
    window.clearTimeout(this.timer);
    const saved = this.store.load();
    if (this.status !== 'active' || this.busy || !saved) return;
    if (!saved.idleSince) this.store.save({ idleSince: Date.now(), warned: false });
    const next = this.nextNudge(this.store.load() ?? saved);
    if (!next) return;
    // a little jitter, so that tabs whose timers were set together do not all fire at once
    const jitter = Math.random() * 1000;
    this.timer = window.setTimeout(() => void this.nudge(), Math.max(0, next.at - Date.now()) + jitter);
  }

  private async nudge(): Promise<void> {
    const saved = this.store.load();
    if (this.busy || this.status !== 'active' || !saved) return;
    const next = this.nextNudge(saved);
    // another tab saw activity, or took this step, since the timer was set
    if (!next || next.at > Date.now()) return this.armIdle();
    // claimed before the call, so the site's other tabs wait for the next step instead
    this.store.save({ idleSince: Date.now(), warned: true });
    try {
      const r = await this.api.inactivity(next.step);
      this.view.showMessage(r.message);
      this.store.save({ lastNudge: r.message.id });
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
      this.ended(true);
    } catch (err) {
      this.fail(err);
    }
  }

  /** No composer any more: the NPS question until answered. `focus` when the user's own action ended it. */
  private ended(focus = false): void {
    window.clearTimeout(this.timer);
    this.store.save({ closed: true });
    this.view.showEnded(!!this.store.load()?.feedbackSent, focus);
  }

  private async feedback(score: number, comment: string): Promise<void> {
    try {
      await this.api.feedback(score, comment);
    } catch (err) {
      this.fail(err);
      throw err;
    }
    this.store.save({ feedbackSent: true });
    this.ended(true);
    this.view.say(this.view.t.thanks);
  }
}
