import type { Message, PublicFile } from './api.ts';
import type { Texts } from './i18n.ts';
import { renderMarkdown } from './markdown.ts';
import { css } from './styles.ts';

const ICON_CHAT =
  '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-5 4V6a2 2 0 0 1 1-2z"/></svg>';
const ICON_CLIP =
  '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z"/></svg>';
const ICON_SEND =
  '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3 20.5 21 12 3 3.5 3 10l12 2-12 2z"/></svg>';

// Static markup only; every text (and all model output) is set later as text nodes.
const TEMPLATE = `
<div class="panel" id="panel" role="dialog" aria-labelledby="title" hidden>
  <header><h2 id="title"></h2><button type="button" id="end" hidden></button><button type="button" class="x" id="close">×</button></header>
  <div class="log" id="log" role="log" aria-live="polite" tabindex="0"></div>
  <div class="status" id="status" role="status" aria-live="polite"></div>
  <form class="compose" id="compose">
    <p class="note" id="note" hidden></p>
    <div class="pending" id="pending"></div>
    <div class="row">
      <label class="icon" id="attach-label">${ICON_CLIP}<span class="sr" id="attach-text"></span><input type="file" id="file" class="sr" multiple></label>
      <label class="sr" for="input" id="input-label"></label>
      <textarea id="input" rows="1" autocomplete="off"></textarea>
      <button type="submit" class="icon send" id="send">${ICON_SEND}</button>
    </div>
  </form>
  <div class="end" id="ended" hidden></div>
</div>
<button type="button" class="bubble" id="bubble" aria-controls="panel" aria-expanded="false">${ICON_CHAT}</button>`;

/** What the user does; the controller (widget.ts) decides what it means. */
export interface ViewEvents {
  toggled(open: boolean): void;
  submit(text: string): void;
  typing(): void;
  files(files: File[]): void;
  removePending(file: PublicFile): void;
  download(fileId: string, name: string): void;
  end(): void;
  feedback(score: number, comment: string): Promise<void>;
  restart(): void;
}

interface MessageView {
  el: HTMLElement;
  body: HTMLElement;
  files: HTMLElement;
  text: string;
  fileIds: string[];
  /** A render is scheduled for the next frame (streamed deltas are drawn at most once a frame). */
  frame?: number;
}

/** The layout below which the panel fills the screen (styles.ts uses the same width). */
const PHONE = '(max-width: 480px)';

export function isPhone(): boolean {
  return matchMedia(PHONE).matches;
}

/** The bubble and the panel in a shadow root: DOM, texts, focus. No API calls. */
export class ChatView {
  t: Texts;
  private readonly $: Record<string, HTMLElement> = {};
  private readonly messages = new Map<string, MessageView>();
  /** Names of the conversation's files, for the chips under messages. */
  readonly fileNames = new Map<string, PublicFile>();
  private ended: { feedbackSent: boolean } | null = null;
  /** From the agent's profile (data-title and data-greeting win over it). */
  private name = '';
  private greeting: string;
  private available = true;
  private waiting = false;

  constructor(
    host: HTMLElement,
    t: Texts,
    lang: string,
    private readonly o: { title: string; color: string; greeting: string },
    private readonly on: ViewEvents,
  ) {
    this.t = t;
    this.greeting = o.greeting;
    const root = host.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = css(o.color);
    const wrap = document.createElement('div');
    wrap.className = 'wrap';
    wrap.innerHTML = TEMPLATE;
    root.append(style, wrap);
    for (const el of wrap.querySelectorAll<HTMLElement>('[id]')) this.$[el.id] = el;
    this.$['wrap'] = wrap;
    this.wire();
    this.setTexts(t, lang);
    this.greet();
  }

  private el<T extends HTMLElement = HTMLElement>(id: string): T {
    return this.$[id] as T;
  }

  private wire(): void {
    const input = this.el<HTMLTextAreaElement>('input');
    this.el('bubble').addEventListener('click', () => this.toggle(!this.isOpen()));
    this.el('close').addEventListener('click', () => this.toggle(false));
    this.el('end').addEventListener('click', () => this.on.end());
    this.el('panel').addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.toggle(false);
      else if (e.key === 'Tab' && isPhone()) this.wrapFocus(e);
    });
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.el<HTMLFormElement>('compose').requestSubmit();
      }
    });
    input.addEventListener('input', () => {
      input.style.height = 'auto';
      input.style.height = `${Math.min(input.scrollHeight, 140)}px`;
      this.on.typing();
    });
    this.el('compose').addEventListener('submit', (e) => {
      e.preventDefault();
      this.on.submit(input.value.trim());
    });
    const file = this.el<HTMLInputElement>('file');
    file.addEventListener('change', () => {
      const chosen = [...(file.files ?? [])];
      file.value = '';
      this.on.files(chosen);
    });
  }

  /** Texts in the page's language (called again when `<html lang>` changes). */
  setTexts(t: Texts, lang: string): void {
    this.t = t;
    this.el('wrap').lang = lang;
    this.el('title').textContent = this.o.title || this.name || t.title;
    this.el('note').textContent = t.unavailable;
    this.el('end').textContent = t.end;
    for (const [id, label] of [
      ['close', t.close],
      ['send', t.send],
    ] as const) {
      this.el(id).setAttribute('aria-label', label);
      this.el(id).title = label;
    }
    this.el('attach-text').textContent = t.attach;
    this.el('attach-label').title = t.attach;
    this.el('input-label').textContent = t.messageLabel;
    this.el<HTMLTextAreaElement>('input').placeholder = t.placeholder;
    this.el('bubble').setAttribute('aria-label', this.isOpen() ? t.close : t.open);
    for (const v of this.messages.values()) this.renderFiles(v);
    if (this.ended) this.showEnded(this.ended.feedbackSent);
  }

  /** The agent's profile arrived: its name as the title, its greeting, and whether it answers now. */
  setProfile(name: string, greeting: string, available: boolean): void {
    this.name = name;
    this.available = available;
    if (!this.o.greeting) this.greeting = greeting;
    this.el('title').textContent = this.o.title || name || this.t.title;
    this.greet();
    this.enableInput();
  }

  /** The composer works unless the agent is unavailable (a notice says so) or the chat has ended. */
  private enableInput(): void {
    this.el('note').hidden = this.available;
    this.el<HTMLInputElement>('file').disabled = !this.available;
    this.el<HTMLButtonElement>('send').disabled = !this.available || this.waiting;
    this.el<HTMLTextAreaElement>('input').disabled = !this.available || !!this.ended;
  }

  /** On a phone the panel covers the page: Tab cycles inside it instead of reaching what it hides. */
  private wrapFocus(e: KeyboardEvent): void {
    const focusable = [
      ...this.el('panel').querySelectorAll<HTMLElement>('button, textarea, input, [tabindex="0"]'),
    ].filter((el) => !(el as HTMLButtonElement).disabled && el.getClientRects().length > 0);
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    const active = (this.el('wrap').getRootNode() as ShadowRoot).activeElement;
    if (!first || !last) return;
    if (e.shiftKey ? active === first : active === last) {
      e.preventDefault();
      (e.shiftKey ? last : first).focus();
    }
  }

  isOpen(): boolean {
    return !this.el('panel').hidden;
  }

  /** Opens or closes the panel; focus goes to the composer, or back to the bubble. */
  toggle(open: boolean, focus = true): void {
    this.el('panel').hidden = !open;
    if (isPhone()) this.el('panel').setAttribute('aria-modal', 'true');
    else this.el('panel').removeAttribute('aria-modal');
    this.el('wrap').classList.toggle('open', open);
    this.el('bubble').setAttribute('aria-expanded', String(open));
    this.el('bubble').setAttribute('aria-label', open ? this.t.close : this.t.open);
    this.on.toggled(open);
    if (!focus) return;
    if (open) {
      this.scroll();
      const input = this.el<HTMLTextAreaElement>('input');
      (input.disabled ? this.el('close') : input).focus();
    } else this.el('bubble').focus();
  }

  say(text: string, error = false): void {
    this.el('status').textContent = text;
    this.el('status').classList.toggle('err', error);
  }

  /** While a reply is on its way: "typing…", and no second send. An error notice outlives it. */
  busy(on: boolean): void {
    this.waiting = on;
    this.el<HTMLButtonElement>('send').disabled = on || !this.available;
    if (on) this.say(this.t.typing);
    else if (!this.el('status').classList.contains('err')) this.say('');
  }

  /** A conversation exists: it can be ended from the header. */
  started(): void {
    this.el('end').hidden = false;
  }

  takeInput(): void {
    const input = this.el<HTMLTextAreaElement>('input');
    input.value = '';
    input.style.height = '';
  }

  /** A message the server refused: its text goes back into the composer (unless more was typed). */
  putBack(text: string): void {
    const input = this.el<HTMLTextAreaElement>('input');
    if (!input.value) input.value = text;
  }

  private scroll(): void {
    const log = this.el('log');
    log.scrollTop = log.scrollHeight;
  }

  private message(id: string, role: string): MessageView {
    let v = this.messages.get(id);
    if (!v) {
      const el = document.createElement('div');
      el.className = `msg ${role}`;
      const who = document.createElement('span');
      who.className = 'sr';
      who.textContent = `${role === 'user' ? this.t.you : this.t.agent}: `;
      const body = document.createElement('div');
      const files = document.createElement('div');
      files.className = 'files';
      el.append(who, body, files);
      this.el('log').append(el);
      v = { el, body, files, text: '', fileIds: [] };
      this.messages.set(id, v);
    }
    return v;
  }

  has(id: string): boolean {
    return this.messages.has(id);
  }

  /**
   * The user's message as sent, before the server has stored it: `adopt` gives it the stored id,
   * `remove` takes it away again when the server refused it.
   */
  showLocal(text: string, fileIds: string[]): { adopt(id: string): void; remove(): void } {
    const localId = `local-${Date.now()}`;
    const v = this.message(localId, 'user');
    this.setText(v, text);
    v.fileIds = fileIds;
    this.renderFiles(v);
    return {
      adopt: (id) => this.messages.set(id, v),
      remove: () => {
        v.el.remove();
        this.messages.delete(localId);
      },
    };
  }

  private setText(v: MessageView, text: string): void {
    if (v.frame !== undefined) cancelAnimationFrame(v.frame);
    v.frame = undefined;
    v.text = text;
    v.body.replaceChildren(renderMarkdown(text));
    this.scroll();
  }

  private renderFiles(v: MessageView): void {
    v.files.replaceChildren(
      ...v.fileIds.map((id) => {
        const name = this.fileNames.get(id)?.name ?? this.t.file;
        return chip(name, `${this.t.download} ${name}`, () => this.on.download(id, name));
      }),
    );
  }

  /** A stored message (history, a completed reply, an inactivity nudge). */
  showMessage(m: Message): void {
    if (m.role !== 'user' && m.role !== 'assistant') return;
    const v = this.message(m.id, m.role);
    const text = m.content
      .filter((b) => b.type === 'text')
      .map((b) => b.text ?? '')
      .join('\n\n');
    this.setText(v, text || (m.status === 'failed' ? this.t.failed : ''));
    v.el.classList.toggle('failed', m.status === 'failed');
    // complete: a replayed stream (after a reload) must not append its deltas again
    v.el.dataset['done'] = '1';
    v.el.removeAttribute('aria-busy');
    v.fileIds = m.content.filter((b) => b.file_id).map((b) => b.file_id!);
    this.renderFiles(v);
  }

  /**
   * A chunk of a reply being streamed. The text grows at once; it is drawn (Markdown parsed again)
   * at most once a frame, so a burst of deltas (a replay after a reload) costs one render.
   * aria-busy keeps screen readers from announcing a reply word by word.
   */
  appendDelta(messageId: string, delta: string): void {
    const v = this.message(messageId, 'assistant');
    if (v.el.dataset['done']) return;
    v.el.setAttribute('aria-busy', 'true');
    v.text += delta;
    v.frame ??= requestAnimationFrame(() => this.setText(v, v.text));
  }

  /** A reply that failed mid-stream: whatever arrived stays, marked as failed. */
  markFailed(messageId: string): void {
    const v = this.messages.get(messageId);
    if (!v) return;
    this.setText(v, v.text || this.t.failed);
    v.el.classList.add('failed');
    v.el.dataset['done'] = '1';
    v.el.removeAttribute('aria-busy');
  }

  renderPending(files: PublicFile[]): void {
    this.el('pending').replaceChildren(
      ...files.map((f) =>
        chip(`${f.name} ×`, `${this.t.removeFile}: ${f.name}`, () => {
          this.on.removePending(f);
          this.el('input').focus();
        }),
      ),
    );
  }

  private greet(): void {
    // an agent that cannot answer now gets the notice, not a greeting
    if (!this.greeting || !this.available) return;
    const v = this.message('greeting', 'assistant');
    this.el('log').prepend(v.el);
    this.setText(v, this.greeting);
  }

  /** Back to an empty chat (after "start a new conversation"). */
  clear(): void {
    this.messages.clear();
    this.ended = null;
    this.el('log').replaceChildren();
    this.el('pending').replaceChildren();
    this.el('ended').hidden = true;
    this.el('compose').hidden = false;
    this.el('end').hidden = true;
    this.enableInput();
    this.say('');
    this.greet();
  }

  /** The conversation is over: no composer; the NPS question (P12) until answered; a way to start again. */
  showEnded(feedbackSent: boolean, focus = false): void {
    this.ended = { feedbackSent };
    const t = this.t;
    this.el('compose').hidden = true;
    this.el('end').hidden = true;
    this.el<HTMLTextAreaElement>('input').disabled = true;
    const box = this.el('ended');
    box.hidden = false;
    const note = paragraph(t.ended);
    const restart = document.createElement('button');
    restart.type = 'button';
    restart.className = 'secondary';
    restart.textContent = t.restart;
    restart.addEventListener('click', () => {
      this.on.restart();
      this.el('input').focus();
    });
    box.replaceChildren(note, feedbackSent ? paragraph(t.thanks) : this.npsForm(), restart);
    this.scroll();
    // the button that ended it is gone: focus moves to what replaced it, not to the page
    if (focus && this.isOpen()) {
      box.tabIndex = -1;
      box.focus();
    }
  }

  private npsForm(): HTMLFormElement {
    const t = this.t;
    const form = document.createElement('form');
    form.innerHTML = `<fieldset><legend></legend><div class="scale"></div><div class="ends" aria-hidden="true"><span></span><span></span></div></fieldset>
<label style="display:block;margin-top:10px"><span></span><textarea maxlength="2000"></textarea></label>
<button type="submit" class="primary" disabled></button>`;
    form.querySelector('legend')!.textContent = t.npsQuestion;
    const [low, high] = form.querySelectorAll('.ends span');
    low!.textContent = `0 – ${t.npsLow}`;
    high!.textContent = `10 – ${t.npsHigh}`;
    form.querySelector('label span')!.textContent = t.comment;
    const submit = form.querySelector('button')!;
    submit.textContent = t.submit;
    const scale = form.querySelector('.scale')!;
    for (let n = 0; n <= 10; n++) {
      const label = document.createElement('label');
      label.innerHTML = `<input type="radio" name="nps" value="${n}"><span>${n}</span>`;
      label.querySelector('input')!.addEventListener('change', () => (submit.disabled = false));
      scale.append(label);
    }
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      submit.disabled = true;
      const score = Number(new FormData(form).get('nps'));
      this.on
        .feedback(score, form.querySelector('textarea')!.value.trim())
        .catch(() => (submit.disabled = false));
    });
    return form;
  }
}

function paragraph(text: string): HTMLParagraphElement {
  const p = document.createElement('p');
  p.textContent = text;
  return p;
}

function chip(text: string, label: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'chip';
  const name = document.createElement('span');
  name.textContent = text;
  b.append('📎', name);
  b.setAttribute('aria-label', label);
  b.addEventListener('click', onClick);
  return b;
}
