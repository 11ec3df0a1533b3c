import type { DistributedTurns } from './redis-turns.js';

/**
 * One generation at a time per conversation, in arrival order (README §6.3). A request takes
 * its place when it arrives (`reserve`, before any await), so work done before its turn (auth,
 * validation, lookups) cannot reorder two sends; it then either runs in that place or gives it
 * up. Keys with nothing queued are forgotten.
 */
export interface QueueSlot {
  /** Waits for every earlier slot on the key, then runs `task`; at most once per slot. */
  run<T>(task: () => Promise<T>): Promise<T>;
  /**
   * Gives the place up (the request failed, or its client left, before its turn); a no-op once
   * `run` was called. A `run` after `release` queues again at the end.
   */
  release(): void;
  /** Whether another slot of the key was queued ahead when this one was reserved. */
  readonly waitsBehindOthers: boolean;
}

/**
 * With several instances (REDIS_URL), `turns` extends the order across them: each slot also
 * takes a place in the conversation's Redis ticket lock (redis-turns.ts) when reserved, and runs
 * once both this process's earlier slots and every earlier place elsewhere are done.
 */
export class ConversationQueue {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly turns?: DistributedTurns) {}

  reserve(key: string): QueueSlot {
    const ticket = this.turns?.take(key);
    const ahead = this.tails.get(key);
    const previous = ahead ?? Promise.resolve();
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    this.tails.set(key, finished);
    void finished.then(() => {
      if (this.tails.get(key) === finished) this.tails.delete(key);
    });
    let state: 'reserved' | 'running' | 'released' = 'reserved';
    // later slots must not overtake earlier ones, even when this one is given up
    const finishAfterPrevious = () => void previous.then(finish, finish);
    return {
      waitsBehindOthers: ahead !== undefined,
      run: async <T>(task: () => Promise<T>): Promise<T> => {
        if (state === 'running') throw new Error('queue slot already running');
        // given up early (the client left before its turn) but the work went on: queue at the end
        if (state === 'released') return this.reserve(key).run(task);
        state = 'running';
        try {
          await previous;
          await ticket?.wait();
          return await task();
        } finally {
          ticket?.finish();
          finish();
        }
      },
      release: () => {
        if (state !== 'reserved') return;
        state = 'released';
        ticket?.release();
        finishAfterPrevious();
      },
    };
  }

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    return this.reserve(key).run(task);
  }

  pending(): number {
    return this.tails.size;
  }
}

/**
 * A request that names its conversation in the body (compat sends) only knows it after its
 * credential is checked and its body read, and those awaits can finish out of order. An
 * arrival ticket, taken when the request arrives, makes it join the conversation's queue in
 * arrival order anyway: `reserve` waits until every earlier ticket has reserved or given up
 * (`skip`), for at most `maxWaitMs`, so a slow upload cannot hold other conversations' sends.
 */
export interface ArrivalTicket {
  reserve(conversationId: string): Promise<QueueSlot>;
  /** This request will not reserve (no conversation named, or it failed first): let later ones on. */
  skip(): void;
}

export class ArrivalOrder {
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly queue: ConversationQueue,
    private readonly maxWaitMs = 1000,
  ) {}

  ticket(): ArrivalTicket {
    const previous = this.tail;
    let pass!: () => void;
    const passed = new Promise<void>((resolve) => {
      pass = resolve;
    });
    this.tail = passed;
    let settled = false;
    const settle = () => {
      if (settled) return false;
      settled = true;
      return true;
    };
    return {
      reserve: async (conversationId) => {
        if (!settle()) return this.queue.reserve(conversationId);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([previous, new Promise((r) => (timer = setTimeout(r, this.maxWaitMs)))]);
        clearTimeout(timer);
        const slot = this.queue.reserve(conversationId);
        // later tickets go once this one and every earlier one have passed
        void previous.then(pass);
        return slot;
      },
      skip: () => {
        if (settle()) void previous.then(pass);
      },
    };
  }
}
