import { sql } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.js';
import { randomAlphanumeric } from '../../platform/crypto.js';
import type { Db } from '../../platform/db/client.js';
import { serverState, workspaces } from '../../platform/db/schema/index.js';
import type { Services } from '../../services.js';
import { storeOperatorTokenHash } from './operator-token.js';

export interface FirstStart {
  workspaceId: string;
  agentId: string;
  secretKey: string;
  publicKey: string;
  /** Present when the operator token was generated now (PAPO_ADMIN_TOKEN unset). */
  operatorToken?: string;
}

export const DEMO_INSTRUCTIONS =
  'You are Papo, a friendly assistant. Answer briefly and clearly. Ask one question at a time when you need more detail.';

/**
 * On an empty database: the `default` workspace, a demo agent and a secret and a public key,
 * shown once. A marker row settles the race between instances starting together.
 */
export async function bootstrapFirstStart(deps: {
  db: Db;
  clock: Clock;
  services: Services;
  adminTokenConfigured: boolean;
}): Promise<FirstStart | undefined> {
  const { db, clock, services } = deps;
  const [{ n } = { n: 0 }] = await db.select({ n: sql<number>`count(*)::int` }).from(workspaces);
  if (n > 0) return undefined;
  const claimed = await db
    .insert(serverState)
    .values({ key: 'bootstrapped', value: 'true', createdAt: clock.now() })
    .onConflictDoNothing()
    .returning();
  if (claimed.length === 0) return undefined;

  let operatorToken: string | undefined;
  if (!deps.adminTokenConfigured) {
    operatorToken = `papo_op_${randomAlphanumeric(40)}`;
    if (!(await storeOperatorTokenHash(db, operatorToken, clock.now()))) operatorToken = undefined;
  }
  const workspace = await services.workspaces.createWorkspace({ name: 'default' });
  const agent = await services.agents.createAgent(workspace.id, {
    name: 'Papo demo',
    description: 'Demo agent on the built-in offline model. Change its model to a real provider when ready.',
    instructions: DEMO_INSTRUCTIONS,
    greeting: 'Hi! How can I help?',
  });
  const secret = await services.keys.createKey(workspace.id, {
    type: 'secret',
    name: 'default secret key',
    scopes: ['agent:run', 'admin'],
  });
  const pub = await services.keys.createKey(workspace.id, { type: 'public', name: 'default public key' });
  return {
    workspaceId: workspace.id,
    agentId: agent.id,
    secretKey: secret.key,
    publicKey: pub.key,
    operatorToken,
  };
}
