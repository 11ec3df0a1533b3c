import { describe, expect, it } from 'vitest';
import { MethodRouter } from './method-router.js';

describe('MethodRouter', () => {
  const r = new MethodRouter();
  r.add(['GET', 'HEAD'], '/files/*');
  r.add('POST', '/items');
  r.add('GET', '/items/:id');
  r.add('DELETE', '/items/:id');

  it('names the other methods of a known path (405)', () => {
    expect(r.allowedInstead('PUT', '/items/42')).toEqual(['GET', 'DELETE']);
    expect(r.allowedInstead('GET', '/items?x=1')).toEqual(['POST']);
  });

  it('names none for an unknown path, or when the method itself is routed (a handler chose 404)', () => {
    expect(r.allowedInstead('GET', '/nowhere')).toEqual([]);
    expect(r.allowedInstead('GET', '/files/missing.js')).toEqual([]);
    expect(r.allowedInstead('HEAD', '/files/missing.js')).toEqual([]);
    expect(r.allowedInstead('DELETE', '/items/7')).toEqual([]);
  });
});
