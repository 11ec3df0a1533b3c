import { useSyncExternalStore, type MouseEvent } from 'react';

/** A tiny history router for the dashboard's few screens (everything under /dashboard/). */
export const BASE = '/dashboard';

const listeners = new Set<() => void>();
/** Set by a client-side navigation: the next screen to mount focuses its h1 (PageFrame). */
let focusRequested = false;
window.addEventListener('popstate', () => {
  focusRequested = true;
  listeners.forEach((l) => l());
});

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

function snapshot(): string {
  const p = window.location.pathname;
  const rest = p.startsWith(BASE) ? p.slice(BASE.length) : p;
  return rest === '' ? '/' : rest;
}

/** The path below /dashboard, e.g. `/agents/0190…`. */
export function usePath(): string {
  return useSyncExternalStore(subscribe, snapshot);
}

export function navigate(to: string, replace = false): void {
  const url = `${BASE}${to}`;
  if (replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  focusRequested = true;
  listeners.forEach((l) => l());
  window.scrollTo(0, 0);
}

/** True once after a navigation; a page load leaves the focus where the browser puts it. */
export function takeFocusRequest(): boolean {
  const requested = focusRequested;
  focusRequested = false;
  return requested;
}

/** onClick for an <a href>: client-side navigation unless the user asked for a new tab. */
export function linkProps(to: string): { href: string; onClick: (e: MouseEvent) => void } {
  return {
    href: `${BASE}${to}`,
    onClick: (e) => {
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      navigate(to);
    },
  };
}

/** Matches `/agents/:id` style patterns; returns the params or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const a = pattern.split('/').filter(Boolean);
  const b = path.split('/').filter(Boolean);
  if (a.length !== b.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < a.length; i++) {
    const seg = a[i]!;
    if (seg.startsWith(':')) params[seg.slice(1)] = decodeURIComponent(b[i]!);
    else if (seg !== b[i]) return null;
  }
  return params;
}
