/**
 * Scenario 5's data: one workspace with BENCH_SEARCH_MESSAGES messages (1,000,000 by default) in
 * conversations of 10, inserted in bulk by SQL on the database the server will open (run before
 * the server starts: PAPO_DATA_DIR for PGlite, DATABASE_URL for PostgreSQL). Prints the workspace
 * id. Vocabulary, so searches of every selectivity exist:
 * - every user message names an order, "pedido PED-<n>" (n unique: a rare term matches 1 message);
 * - 1 message in 100 says "reembolso" (medium: 10,000 messages);
 * - every user message says "preciso de ajuda" (common: half of all messages);
 * - replies say "Claro, vou verificar".
 */
import { sql } from 'drizzle-orm';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { systemClock } from '../src/platform/clock.js';
import { openDb } from '../src/platform/db/client.js';
import { migrate } from '../src/platform/db/migrate.js';
import { ModelGateway } from '../src/platform/llm/gateway.js';
import { createFsBlobStore } from '../src/platform/storage/fs-blob-store.js';
import { createServices } from '../src/services.js';
import { loadSigningSecret } from '../src/features/workspaces/signing-secret.js';

const MESSAGES = Number(process.env['BENCH_SEARCH_MESSAGES'] ?? 1_000_000);
const PER_CONVERSATION = 10;
const config = loadConfig();
const handle = await openDb({ url: config.db.url, dataDir: config.db.dataDir });
await migrate(handle);
const services = createServices({
  config,
  db: handle,
  clock: systemClock,
  gateway: new ModelGateway(config),
  blobs: createFsBlobStore(path.join(config.db.dataDir, 'files')),
  signingSecret: await loadSigningSecret(handle.db, systemClock, config.secret),
});
const ws = await services.workspaces.createWorkspace({ name: 'bench-search' });
const agent = await services.agents.createAgent(ws.id, { name: 'support', instructions: 'Help.' } as never);
const db = handle.db;
const conversations = Math.ceil(MESSAGES / PER_CONVERSATION);

// UUIDv7 from a timestamp: ids sort by time, as the server's own do
const v7 = (ts: string) =>
  `(lpad(to_hex((extract(epoch from ${ts}) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 3) || '8' || substr(md5(random()::text), 1, 15))::uuid`;
const started = Date.now();
const BATCH = 20_000;
for (let from = 0; from < conversations; from += BATCH) {
  const to = Math.min(conversations, from + BATCH) - 1;
  // conversation i was created i seconds after a fixed start; its messages follow it
  await db.execute(
    sql.raw(`
    with c as (
      select i, timestamptz '2026-01-01' + make_interval(secs => i) as at
      from generate_series(${from}, ${to}) i
    ), conv as (
      insert into conversations (id, workspace_id, agent_id, kind, channel, status, external_user_id,
        user_data, context, metadata, title, messages_count, last_message_at, expires_at, created_at, updated_at)
      select ${v7('c.at')}, '${ws.id}', '${agent.id}', 'session', 'api', 'closed', 'lead-' || c.i,
        jsonb_build_object('name', 'Cliente ' || c.i), '{}', '{}', 'pedido PED-' || c.i, ${PER_CONVERSATION},
        c.at + interval '1 minute', c.at + interval '1 hour', c.at, c.at
      from c
      returning id, created_at
    )
    insert into messages (id, workspace_id, conversation_id, role, content, status, metadata, created_at)
    select ${v7('conv.created_at + make_interval(secs => k)')}, '${ws.id}', conv.id,
      case when k % 2 = 0 then 'user' else 'assistant' end,
      jsonb_build_array(jsonb_build_object('type', 'text', 'text',
        case when k % 2 = 0
          then 'Olá, preciso de ajuda com o pedido PED-' || (extract(epoch from conv.created_at)::bigint - 1767225600) || '-' || k
            || case when random() < 0.02 then ', quero um reembolso' else '' end
          else 'Claro, vou verificar o seu pedido agora mesmo.' end)),
      'completed', '{}', conv.created_at + make_interval(secs => k)
    from conv cross join generate_series(0, ${PER_CONVERSATION - 1}) k
  `),
  );
  process.stderr.write(
    `[seed] ${(to + 1) * PER_CONVERSATION} messages (${Math.round((Date.now() - started) / 1000)} s)\n`,
  );
}
await db.execute(sql`analyze`);
process.stderr.write(`[seed] done in ${Math.round((Date.now() - started) / 1000)} s\n`);
process.stdout.write(`${ws.id}\n`);
await handle.close();
