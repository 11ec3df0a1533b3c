/** What survives a page reload, per agent, in localStorage (silently nothing when storage is blocked). */
export interface Saved {
  conversationId: string;
  token: string;
  /** Token expiry, epoch ms. */
  expiresAt: number;
  /** A reply being streamed when the page went away: resumed with P14. */
  stream?: { id: string; lastEventId: number } | null;
  /** Epoch ms of the last message; the idle timers count from here. */
  idleSince?: number | null;
  warned?: boolean;
  feedbackSent?: boolean;
  open?: boolean;
}

export class Store {
  private readonly key: string;
  constructor(agentId: string) {
    this.key = `papo-widget:${agentId}`;
  }

  load(): Saved | null {
    try {
      const raw = localStorage.getItem(this.key);
      const v = raw ? (JSON.parse(raw) as Saved) : null;
      return v && typeof v.conversationId === 'string' && typeof v.token === 'string' ? v : null;
    } catch {
      return null;
    }
  }

  save(patch: Partial<Saved>): void {
    const next = { ...(this.load() ?? {}), ...patch };
    if (!next.conversationId) return;
    try {
      localStorage.setItem(this.key, JSON.stringify(next));
    } catch {
      // storage full or blocked: the chat still works, it just won't survive a reload
    }
  }

  clear(): void {
    try {
      localStorage.removeItem(this.key);
    } catch {
      // ignore
    }
  }
}
