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

export class ConversationQueue {
  private readonly tails = new Map<string, Promise<void>>();

  reserve(key: string): QueueSlot {
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
          return await task();
        } finally {
          finish();
        }
      },
      release: () => {
        if (state !== 'reserved') return;
        state = 'released';
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
