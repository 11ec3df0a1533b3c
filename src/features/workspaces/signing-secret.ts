import { like } from 'drizzle-orm';
import { sha256Hex, randomAlphanumeric } from '../../platform/crypto.js';
import type { Db } from '../../platform/db/client.js';
import { serverState } from '../../platform/db/schema/index.js';
import type { Clock } from '../../platform/clock.js';

export interface SigningSecret {
  /** JWT `kid`: names the secret so it can be rotated. */
  kid: string;
  secret: string;
}

/**
 * The session-token signing secret: PAPO_SECRET when set (kid derived from its hash), else one
 * generated on first start and persisted, so tokens survive restarts and instances agree.
 */
export async function loadSigningSecret(
  db: Db,
  clock: Clock,
  configured: string | undefined,
): Promise<SigningSecret> {
  if (configured) return { kid: `env-${sha256Hex(configured).slice(0, 12)}`, secret: configured };
  const oldest = async () => {
    const rows = await db.select().from(serverState).where(like(serverState.key, 'signing_secret:%'));
    return rows.sort(
      (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.key.localeCompare(b.key),
    )[0];
  };
  let row = await oldest();
  if (!row) {
    // Instances starting together may both insert; all of them then pick the oldest row.
    await db
      .insert(serverState)
      .values({
        key: `signing_secret:gen-${randomAlphanumeric(12)}`,
        value: randomAlphanumeric(64),
        createdAt: clock.now(),
      })
      .onConflictDoNothing();
    row = await oldest();
  }
  return { kid: row!.key.slice('signing_secret:'.length), secret: row!.value };
}
