import type { LanguageModelV3 } from '@ai-sdk/provider';
import { Redis } from 'ioredis';
import path from 'node:path';
import { buildApp } from './app.js';
import { loadConfig, type Config } from './config.js';
import { bootstrapFirstStart, type FirstStart } from './features/workspaces/bootstrap.js';
import { loadSigningSecret } from './features/workspaces/signing-secret.js';
import { expireDueConversations } from './features/sessions/sessions.repo.js';
import type { Services } from './services.js';
import { systemClock, type Clock } from './platform/clock.js';
import { openDb } from './platform/db/client.js';
import { migrate } from './platform/db/migrate.js';
import type { App } from './platform/http/types.js';
import { ModelGateway } from './platform/llm/gateway.js';
import { createFsBlobStore } from './platform/storage/fs-blob-store.js';

export interface RunningServer {
  app: App;
  services: Services;
  url: string;
  firstStart: FirstStart | undefined;
  /** Stops taking work (503), waits for in-flight generations (bounded), then closes everything. */
  shutdown(): Promise<void>;
}

export interface StartOptions {
  clock?: Clock;
  /** Extra model providers (tests). */
  providers?: Record<string, (modelId: string) => LanguageModelV3>;
  logger?: boolean;
}

/** loadConfig → openDb → migrate → buildApp → listen, plus the expiry sweeper. */
export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const clock = opts.clock ?? systemClock;
  const db = await openDb({ url: config.db.url, dataDir: config.db.dataDir });
  await migrate(db);
  const signingSecret = await loadSigningSecret(db.db, clock, config.secret);
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { maxRetriesPerRequest: 2, commandTimeout: 2000, enableOfflineQueue: false })
    : undefined;
  const { app, services } = await buildApp({
    config,
    db,
    clock,
    gateway: new ModelGateway(config, opts.providers),
    blobs: createFsBlobStore(path.join(config.db.dataDir, 'files')),
    signingSecret,
    redis,
    ...(opts.logger === false && { logger: false }),
  });
  const firstStart = await bootstrapFirstStart({
    db: db.db,
    clock,
    services,
    adminTokenConfigured: config.adminToken !== undefined,
  });
  const url = await app.listen({ port: config.server.port, host: config.server.host });

  const sweeper = setInterval(() => {
    expireDueConversations(db.db, clock.now()).catch((err: unknown) =>
      app.log.warn({ err }, 'expiry sweep failed'),
    );
  }, config.runtime.sweeperIntervalMs);
  sweeper.unref();

  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      app.log.info(
        { inflight: services.runtime.tracker.count },
        'shutting down: finishing in-flight generations',
      );
      clearInterval(sweeper);
      const finished = await services.runtime.tracker.drain(config.runtime.shutdownGraceMs);
      if (!finished) app.log.warn('shutdown grace period ended with generations still running');
      await app.close();
      await db.close();
      // quit, not disconnect: the last stream copies and turn hand-overs reach Redis
      await redis?.quit().catch(() => redis.disconnect());
    })());
  return { app, services, url, firstStart, shutdown };
}

/** Process entry for `papo serve` / `npm start`. */
export async function serve(config: Config = loadConfig()): Promise<void> {
  const server = await startServer(config);
  // PORT=0 picks a free port: show the address actually bound, not the configured :0
  const url = /:0\/?$/.test(config.server.publicUrl) ? server.url : config.server.publicUrl;
  if (server.firstStart) printFirstStart(url, server.firstStart);
  else
    server.app.log.info(
      `Papo listening on ${url} (dashboard: ${url}/dashboard/, API reference: ${url}/docs)`,
    );
  const onSignal = (signal: string) => {
    server.app.log.info({ signal }, 'signal received');
    server.shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        server.app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
}

function printFirstStart(url: string, f: FirstStart): void {
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
    `  Dashboard         ${url}/dashboard/   (sign in with the operator token)`,
    `  Chat widget       <script src="${url}/widget.js" data-agent-id="${f.agentId}" data-public-key="${f.publicKey}" async></script>`,
    '',
    '  Try it:',
    `    curl -s -X POST ${url}/v1/agents/${f.agentId}/sessions -H 'X-API-Key: ${f.secretKey}' -H 'Content-Type: application/json' -d '{}'`,
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
