/**
 * One generation at a time per conversation, in arrival order (README §6.3). Each call waits
 * for the previous one on the same key; keys with nothing queued are forgotten.
 */
export class ConversationQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  pending(): number {
    return this.tails.size;
  }
}
