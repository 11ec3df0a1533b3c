import { Redis } from 'ioredis';
import path from 'node:path';
import { buildApp } from './app.js';
import { loadConfig, type Config } from './config.js';
import { bootstrapFirstStart, type FirstStart } from './features/workspaces/bootstrap.js';
import { loadSigningSecret } from './features/workspaces/signing-secret.js';
import { expireDueConversations } from './features/sessions/sessions.repo.js';
import { systemClock } from './platform/clock.js';
import { openDb } from './platform/db/client.js';
import { migrate } from './platform/db/migrate.js';
import { ModelGateway } from './platform/llm/gateway.js';
import { createFsBlobStore } from './platform/storage/fs-blob-store.js';

/** loadConfig → openDb → migrate → buildApp → listen; graceful shutdown finishes generations. */
export async function serve(config: Config = loadConfig()): Promise<void> {
  const db = await openDb({ url: config.db.url, dataDir: config.db.dataDir });
  await migrate(db);
  await loadSigningSecret(db.db, systemClock, config.secret);
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { maxRetriesPerRequest: 2, commandTimeout: 2000, enableOfflineQueue: false })
    : undefined;
  const { app, services } = await buildApp({
    config,
    db,
    clock: systemClock,
    gateway: new ModelGateway(config),
    blobs: createFsBlobStore(path.join(config.db.dataDir, 'files')),
    redis,
  });
  const first = await bootstrapFirstStart({
    db: db.db,
    clock: systemClock,
    services,
    adminTokenConfigured: config.adminToken !== undefined,
  });
  await app.listen({ port: config.server.port, host: config.server.host });
  if (first) printFirstStart(config, first);
  else
    app.log.info(
      `Papo listening on ${config.server.publicUrl} (API reference: ${config.server.publicUrl}/docs)`,
    );

  const sweeper = setInterval(() => {
    expireDueConversations(db.db, systemClock.now()).catch((err: unknown) =>
      app.log.warn({ err }, 'expiry sweep failed'),
    );
  }, config.runtime.sweeperIntervalMs);
  sweeper.unref();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info(
      { signal, inflight: services.runtime.tracker.count },
      'shutting down: finishing in-flight generations',
    );
    clearInterval(sweeper);
    const finished = await services.runtime.tracker.drain(config.runtime.shutdownGraceMs);
    if (!finished) app.log.warn('shutdown grace period ended with generations still running');
    await app.close();
    await db.close();
    redis?.disconnect();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

function printFirstStart(config: Config, f: FirstStart): void {
  const url = config.server.publicUrl;
  const lines = [
    '',
    '  Papo is running — first start on an empty database.',
    '  These credentials are shown ONCE. Store them now.',
    '',
    `  Operator token    ${f.operatorToken ?? '(PAPO_ADMIN_TOKEN from the environment)'}`,
    `  Workspace         default  ${f.workspaceId}`,
    `  Demo agent        ${f.agentId}  (model demo:papo-demo)`,
    `  Secret key        ${f.secretKey}`,
    `  Public key        ${f.publicKey}`,
    '',
    `  API               ${url}/v1`,
    `  API reference     ${url}/docs   (OpenAPI: ${url}/openapi.json)`,
    `  Dashboard         ${url}/dashboard (not built yet)`,
    '',
    '  Try it:',
    `    curl -s -X POST ${url}/v1/agents/${f.agentId}/sessions -H 'X-API-Key: ${f.secretKey}' -H 'Content-Type: application/json' -d '{}'`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
