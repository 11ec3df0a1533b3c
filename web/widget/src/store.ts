/** What survives a page reload, per agent, in localStorage (shared by the site's open tabs). */
export interface Saved {
  conversationId: string;
  token: string;
  /** Token expiry, epoch ms. */
  expiresAt: number;
  /** A reply being streamed (by any tab): followed with P14 after a reload or by the other tabs. */
  stream?: { id: string } | null;
  /** Epoch ms of the last activity in any tab; the idle timers count from here. */
  idleSince?: number | null;
  warned?: boolean;
  /** The last inactivity message a tab received, so the other tabs fetch and show it too. */
  lastNudge?: string | null;
  /** The conversation ended (in this tab or another). */
  closed?: boolean;
  feedbackSent?: boolean;
  open?: boolean;
}

/**
 * localStorage when the page may use it; otherwise (blocked, full) the same state in memory, so
 * resuming a dropped stream and the idle steps still work until the page goes away.
 */
export class Store {
  private readonly key: string;
  private memory: Saved | null = null;
  private storageWorks = true;

  constructor(agentId: string) {
    this.key = `papo-widget:${agentId}`;
  }

  /** The localStorage key, to recognise other tabs' changes in `storage` events. */
  get storageKey(): string {
    return this.key;
  }

  load(): Saved | null {
    if (!this.storageWorks) return this.memory;
    try {
      const raw = localStorage.getItem(this.key);
      const v = raw ? (JSON.parse(raw) as Saved) : null;
      this.memory = v && typeof v.conversationId === 'string' && typeof v.token === 'string' ? v : null;
    } catch {
      this.storageWorks = false;
    }
    return this.memory;
  }

  save(patch: Partial<Saved>): void {
    const next = { ...(this.load() ?? {}), ...patch };
    if (!next.conversationId) return;
    this.memory = next as Saved;
    if (!this.storageWorks) return;
    try {
      localStorage.setItem(this.key, JSON.stringify(next));
    } catch {
      this.storageWorks = false;
    }
  }

  clear(): void {
    this.memory = null;
    try {
      localStorage.removeItem(this.key);
    } catch {
      // blocked: memory is already clear
    }
  }
}
