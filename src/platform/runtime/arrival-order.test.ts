import { describe, expect, it } from 'vitest';
import { ArrivalOrder, ConversationQueue } from './conversation-queue.js';

describe('ArrivalOrder', () => {
  it('joins the conversation queue in ticket order, whatever order the bodies come in', async () => {
    const queue = new ConversationQueue();
    const arrivals = new ArrivalOrder(queue);
    const [a, b, c] = [arrivals.ticket(), arrivals.ticket(), arrivals.ticket()];
    const ran: string[] = [];
    // c's body is read first, a gives up (say, a 401), b comes last
    const cSlot = c.reserve('conv');
    a.skip();
    const bSlot = b.reserve('conv');
    await Promise.all([
      (await cSlot).run(async () => void ran.push('c')),
      (await bSlot).run(async () => void ran.push('b')),
    ]);
    expect(ran).toEqual(['b', 'c']);
  });

  it('does not wait longer than its limit for an earlier request that never arrives', async () => {
    const arrivals = new ArrivalOrder(new ConversationQueue(), 50);
    arrivals.ticket(); // never settles (a slow upload)
    const started = Date.now();
    const slot = await arrivals.ticket().reserve('conv');
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(await slot.run(async () => 'ran')).toBe('ran');
  });

  it('settles once: a skip after reserve changes nothing', async () => {
    const arrivals = new ArrivalOrder(new ConversationQueue());
    const first = arrivals.ticket();
    const second = arrivals.ticket();
    const slot = await first.reserve('x');
    first.skip();
    slot.release();
    await expect(second.reserve('y')).resolves.toBeDefined();
  });
});
