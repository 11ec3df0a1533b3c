import { Command, InvalidArgumentError } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { loadConfig, ConfigError } from './config.js';
import { createServices } from './services.js';
import type { AgentInput } from './features/agents/agents.service.js';
import { systemClock } from './platform/clock.js';
import { openDb, type DbHandle } from './platform/db/client.js';
import { migrate } from './platform/db/migrate.js';
import { AppError } from './platform/errors.js';
import { ModelGateway } from './platform/llm/gateway.js';
import { createFsBlobStore } from './platform/storage/fs-blob-store.js';
import { serve } from './main.js';
import { loadSigningSecret } from './features/workspaces/signing-secret.js';

/** `papo` command line: serve, migrate and the first operator chores, straight on the database. */
async function withServices<T>(
  fn: (s: ReturnType<typeof createServices>, db: DbHandle) => Promise<T>,
): Promise<T> {
  const config = loadConfig();
  const db = await openDb({ url: config.db.url, dataDir: config.db.dataDir });
  try {
    await migrate(db);
    const services = createServices({
      config,
      db,
      clock: systemClock,
      gateway: new ModelGateway(config),
      blobs: createFsBlobStore(path.join(config.db.dataDir, 'files')),
      signingSecret: await loadSigningSecret(db.db, systemClock, config.secret),
    });
    return await fn(services, db);
  } finally {
    await db.close();
  }
}

const print = (value: unknown): void => {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
};
const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

const program = new Command('papo').description('Papo — self-hostable AI-agent conversation platform');

program
  .command('serve', { isDefault: true })
  .description('run the HTTP server (applies migrations first)')
  .action(() => serve());

program
  .command('migrate')
  .description('apply database migrations and exit')
  .action(async () => {
    const config = loadConfig();
    const db = await openDb({ url: config.db.url, dataDir: config.db.dataDir });
    await migrate(db);
    await db.close();
    process.stdout.write('migrations applied\n');
  });

const workspace = program.command('workspace').description('manage workspaces');
workspace
  .command('create <name>')
  .description('create a workspace')
  .action((name: string) => withServices(async (s) => print(await s.workspaces.createWorkspace({ name }))));

const key = program.command('key').description('manage API keys');
key
  .command('create')
  .description('create an API key (the plaintext is printed once)')
  .requiredOption('-w, --workspace <id>', 'workspace id')
  .option(
    '-t, --type <type>',
    'secret | public',
    (v) => {
      if (v !== 'secret' && v !== 'public') throw new InvalidArgumentError('secret or public');
      return v;
    },
    'secret',
  )
  .option('-n, --name <name>', 'key name', 'cli key')
  .option('-s, --scopes <list>', 'comma-separated: agent:run,admin', list)
  .option('-a, --agents <list>', 'comma-separated agent ids the key may use', list)
  .action(
    (o: {
      workspace: string;
      type: 'secret' | 'public';
      name: string;
      scopes?: string[];
      agents?: string[];
    }) =>
      withServices(async (s) =>
        print(
          await s.keys.createKey(o.workspace, {
            type: o.type,
            name: o.name,
            scopes: o.scopes as never,
            agent_ids: o.agents ?? null,
          }),
        ),
      ),
  );

const agent = program.command('agent').description('manage agents');
agent
  .command('create')
  .description('create an agent from a JSON or YAML file (admin.md AgentInput)')
  .requiredOption('-w, --workspace <id>', 'workspace id')
  .requiredOption('-f, --file <path>', 'agent.json or agent.yaml')
  .action((o: { workspace: string; file: string }) =>
    withServices(async (s) => {
      const text = fs.readFileSync(o.file, 'utf8');
      const input = (/\.ya?ml$/i.test(o.file) ? YAML.parse(text) : JSON.parse(text)) as AgentInput;
      if (!input || typeof input.name !== 'string' || typeof input.instructions !== 'string') {
        throw new Error('the file needs at least "name" and "instructions"');
      }
      print(await s.agents.createAgent(o.workspace, input));
    }),
  );

program.parseAsync().catch((err: unknown) => {
  if (err instanceof ConfigError) process.stderr.write(err.message + '\n');
  else if (err instanceof AppError) process.stderr.write(`${err.code}: ${err.message}\n`);
  else process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
