import { eq } from 'drizzle-orm';
import { constantTimeEqual, sha256Hex } from '../../platform/crypto.js';
import type { Db } from '../../platform/db/client.js';
import { serverState } from '../../platform/db/schema/index.js';

const HASH_KEY = 'admin_token_sha256';

export interface OperatorAuth {
  verify(token: string): Promise<boolean>;
}

/**
 * The operator token is PAPO_ADMIN_TOKEN when set; otherwise the one generated on first start,
 * of which only the SHA-256 is stored.
 */
export function createOperatorAuth(db: Db, configured: string | undefined): OperatorAuth {
  let storedHash: string | undefined;
  return {
    async verify(token) {
      if (configured !== undefined) return constantTimeEqual(sha256Hex(token), sha256Hex(configured));
      if (storedHash === undefined) {
        const [row] = await db.select().from(serverState).where(eq(serverState.key, HASH_KEY));
        if (!row) return false;
        storedHash = row.value;
      }
      return constantTimeEqual(sha256Hex(token), storedHash);
    },
  };
}

/** Stores the hash of a generated operator token; false when one already exists. */
export async function storeOperatorTokenHash(db: Db, token: string, now: Date): Promise<boolean> {
  const rows = await db
    .insert(serverState)
    .values({ key: HASH_KEY, value: sha256Hex(token), createdAt: now })
    .onConflictDoNothing()
    .returning();
  return rows.length > 0;
}
