import { Widget } from './widget.ts';

/**
 * `<script src="https://papo.example.com/widget.js" data-agent-id="…" data-public-key="papo_pk_…" async>`
 * Optional: data-title (default: the agent's name), data-greeting (overrides the agent's greeting),
 * data-color, data-lang (else the page's <html lang>),
 * data-idle-warning-seconds (default 300), data-idle-final-seconds (default 300, after the
 * warning; 0 turns a step off), data-api-url (default: where this script came from).
 */
function currentScript(): HTMLScriptElement | null {
  const s = document.currentScript;
  if (s instanceof HTMLScriptElement) return s;
  return document.querySelector<HTMLScriptElement>('script[data-agent-id][src*="widget.js"]');
}

function seconds(v: string | undefined, fallback: number): number {
  const n = Number(v);
  return v !== undefined && v !== '' && Number.isFinite(n) && n >= 0 ? n : fallback;
}

let instance: Widget | undefined;

function start(script: HTMLScriptElement): void {
  const d = script.dataset;
  if (!d['agentId'] || !d['publicKey']) {
    console.error('[papo] widget.js needs data-agent-id and data-public-key on its <script> tag.');
    return;
  }
  const host = document.createElement('papo-chat');
  document.body.appendChild(host);
  instance = new Widget(host, {
    base: (d['apiUrl'] ?? new URL(script.src, location.href).origin).replace(/\/+$/, ''),
    agentId: d['agentId'],
    publicKey: d['publicKey'],
    greeting: d['greeting'] ?? '',
    title: d['title'] ?? '',
    color: /^#[0-9a-f]{3,8}$/i.test(d['color'] ?? '') ? d['color']! : '#1864ab',
    idleWarning: seconds(d['idleWarningSeconds'], 300),
    idleFinal: seconds(d['idleFinalSeconds'], 300),
    lang: d['lang'] || null,
  });
}

const script = currentScript();
if (script) {
  if (document.body) start(script);
  else document.addEventListener('DOMContentLoaded', () => start(script), { once: true });
}

/** `PapoWidget.open()` / `PapoWidget.close()` for pages that want their own button. */
export function open(): void {
  instance?.open();
}
export function close(): void {
  instance?.close();
}
