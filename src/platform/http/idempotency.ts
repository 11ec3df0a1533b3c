import { and, eq, lt } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import { canonicalJson, sha256Hex } from '../crypto.js';
import type { Db } from '../db/client.js';
import { idempotencyRecords } from '../db/schema/index.js';
import { AppError, InvalidRequestError } from '../errors.js';

const LIFETIME_MS = 24 * 3600 * 1000;
const KEY_RE = /^[\x21-\x7e]{1,255}$/;

export interface IdempotentResponse {
  status: number;
  body: unknown;
  replayed: boolean;
}

export interface IdempotentCall {
  workspaceId: string;
  /** Endpoint + path parameters, e.g. `A10:<session_id>`. */
  scope: string;
  /** The Idempotency-Key header, if any. */
  key: string | undefined;
  body: unknown;
}

export interface Idempotency {
  /**
   * Runs `execute` at most once per (workspace, scope, key) within 24 h (quintus.md §3).
   * `execute` calls `started()` when execution begins; errors after that with a 5xx status
   * are stored and replayed like successes, earlier ones free the key again.
   */
  run(
    call: IdempotentCall,
    execute: (started: () => void) => Promise<{ status: number; body: unknown }>,
    formatError: (err: unknown) => { status: number; body: unknown },
  ): Promise<IdempotentResponse>;
}

export function validateIdempotencyKey(key: string | undefined): void {
  if (key !== undefined && !KEY_RE.test(key)) {
    throw new InvalidRequestError('Idempotency-Key must be 1–255 printable ASCII characters.', [
      { location: 'header', path: 'Idempotency-Key', message: 'must be 1–255 printable ASCII characters' },
    ]);
  }
}

export function createIdempotency(deps: { db: Db; clock: Clock; inProgressTtlMs: number }): Idempotency {
  const { db, clock } = deps;
  const t = idempotencyRecords;

  async function claim(
    call: IdempotentCall & { key: string },
    fingerprint: string,
  ): Promise<IdempotentResponse | null> {
    const where = and(eq(t.workspaceId, call.workspaceId), eq(t.scope, call.scope), eq(t.key, call.key));
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = clock.now();
      const inserted = await db
        .insert(t)
        .values({
          workspaceId: call.workspaceId,
          scope: call.scope,
          key: call.key,
          fingerprint,
          state: 'in_progress',
          createdAt: now,
          expiresAt: new Date(now.getTime() + LIFETIME_MS),
        })
        .onConflictDoNothing()
        .returning();
      if (inserted.length > 0) return null;

      const [rec] = await db.select().from(t).where(where);
      if (!rec) continue; // deleted meanwhile: try again
      if (rec.expiresAt <= now) {
        await db.delete(t).where(and(where, lt(t.expiresAt, now)));
        continue;
      }
      if (rec.fingerprint !== fingerprint) {
        throw new AppError('idempotency_key_reused', 'This Idempotency-Key was used with a different body.', {
          idempotency_key: call.key,
        });
      }
      if (rec.state === 'completed') {
        return { status: rec.responseStatus ?? 200, body: rec.responseBody, replayed: true };
      }
      // In progress: a record older than the model timeout + 60 s belongs to a crashed server.
      if (now.getTime() - rec.createdAt.getTime() > deps.inProgressTtlMs) {
        const taken = await db
          .update(t)
          .set({ createdAt: now })
          .where(and(where, eq(t.state, 'in_progress'), eq(t.createdAt, rec.createdAt)))
          .returning();
        if (taken.length > 0) return null;
      }
      throw new AppError(
        'idempotency_request_in_progress',
        'A request with this Idempotency-Key is still running.',
        {
          idempotency_key: call.key,
        },
      );
    }
    throw new AppError(
      'idempotency_request_in_progress',
      'A request with this Idempotency-Key is still running.',
      {
        idempotency_key: call.key,
      },
    );
  }

  return {
    async run(call, execute, formatError) {
      if (call.key === undefined) {
        return { ...(await execute(() => undefined)), replayed: false };
      }
      const keyed = { ...call, key: call.key };
      const fingerprint = sha256Hex(canonicalJson(call.body ?? null));
      const replay = await claim(keyed, fingerprint);
      if (replay) return replay;

      const where = and(eq(t.workspaceId, call.workspaceId), eq(t.scope, call.scope), eq(t.key, call.key));
      let started = false;
      const store = (status: number, body: unknown) =>
        db.update(t).set({ state: 'completed', responseStatus: status, responseBody: body }).where(where);
      try {
        const result = await execute(() => {
          started = true;
        });
        await store(result.status, result.body);
        return { ...result, replayed: false };
      } catch (err) {
        const formatted = formatError(err);
        if (started && [500, 502, 504].includes(formatted.status)) {
          await store(formatted.status, formatted.body);
        } else {
          await db.delete(t).where(and(where, eq(t.state, 'in_progress')));
        }
        throw err;
      }
    },
  };
}
