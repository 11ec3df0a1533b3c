import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import path from 'node:path';

/**
 * The only reader of process.env. Every variable is validated at once and every bad one is
 * listed, so a misconfigured server fails at start with one readable message.
 */
const Int = (min: number, max: number, def: number) =>
  Type.Integer({ minimum: min, maximum: max, default: def });
const OptStr = () => Type.Optional(Type.String({ minLength: 1 }));

const EnvSchema = Type.Object({
  PORT: Int(0, 65535, 3000),
  HOST: Type.String({ default: '127.0.0.1' }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  PAPO_DATA_DIR: Type.String({ default: './data' }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  PAPO_ADMIN_TOKEN: Type.Optional(Type.String({ minLength: 16 })),
  PAPO_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  PAPO_PUBLIC_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  OPENAI_API_KEY: OptStr(),
  OPENAI_BASE_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  ANTHROPIC_API_KEY: OptStr(),
  GOOGLE_GENERATIVE_AI_API_KEY: OptStr(),
  PAPO_OPENAI_COMPATIBLE_BASE_URL: Type.Optional(Type.String({ pattern: '^https?://' })),
  PAPO_OPENAI_COMPATIBLE_API_KEY: OptStr(),
  /** `lean` (Papo's streaming client, ADR 0008) or `sdk` (the AI SDK's provider, as a fallback). */
  PAPO_OPENAI_COMPATIBLE_CLIENT: Type.Union([Type.Literal('lean'), Type.Literal('sdk')], { default: 'lean' }),
  /** JSON array of declared models: [{ "model": "openai:gpt-4o-mini", "input_usd_per_mtok": 0.15, ... }] */
  PAPO_MODELS: Type.Optional(Type.String()),
  PAPO_DEFAULT_MODEL: Type.String({ default: 'demo:papo-demo', pattern: '^[a-z0-9-]+:.+' }),
  PAPO_MODEL_TIMEOUT_SECONDS: Int(10, 600, 120),
  PAPO_STREAM_RETENTION_SECONDS: Int(60, 86_400, 600),
  PAPO_SWEEPER_INTERVAL_SECONDS: Int(10, 600, 60),
  PAPO_SHUTDOWN_GRACE_SECONDS: Int(0, 900, 30),
  PAPO_RATE_LIMIT_SECRET_KEY: Int(1, 1_000_000, 600),
  PAPO_RATE_LIMIT_PUBLIC_KEY: Int(1, 1_000_000, 120),
  PAPO_RATE_LIMIT_SESSION_TOKEN: Int(1, 1_000_000, 60),
  PAPO_RATE_LIMIT_IP: Int(1, 1_000_000, 60),
  /** Let image URLs resolve to private/loopback addresses (intranets). Off by default (SSRF). */
  PAPO_FETCH_ALLOW_PRIVATE_NETWORKS: Type.Boolean({ default: false }),
  /** PEM file of extra CA certificates trusted when fetching image URLs. */
  PAPO_FETCH_CA_FILE: Type.Optional(Type.String({ minLength: 1 })),
  /** Delay between the demo model's words, so its streaming is visible; 0 in tests. */
  PAPO_DEMO_WORD_DELAY_MS: Int(0, 5_000, 30),
});
type Env = Static<typeof EnvSchema>;

const PriceSchema = Type.Object({
  input_usd_per_mtok: Type.Number({ minimum: 0 }),
  output_usd_per_mtok: Type.Number({ minimum: 0 }),
  cached_input_usd_per_mtok: Type.Optional(Type.Number({ minimum: 0 })),
});
const DeclaredModelSchema = Type.Intersect([
  Type.Object({ model: Type.String({ pattern: '^[a-z0-9-]+:.+' }), label: Type.Optional(Type.String()) }),
  Type.Partial(PriceSchema),
]);
export type DeclaredModel = Static<typeof DeclaredModelSchema>;

export interface Config {
  readonly server: { readonly port: number; readonly host: string; readonly publicUrl: string };
  readonly db: { readonly url: string | undefined; readonly dataDir: string };
  readonly redisUrl: string | undefined;
  readonly adminToken: string | undefined;
  readonly secret: string | undefined;
  readonly logLevel: string;
  readonly providers: {
    readonly openai?: { apiKey: string; baseURL?: string };
    readonly anthropic?: { apiKey: string };
    readonly google?: { apiKey: string };
    readonly openaiCompatible?: { baseURL: string; apiKey?: string; client: 'lean' | 'sdk' };
  };
  readonly models: readonly DeclaredModel[];
  readonly defaultModel: string;
  readonly runtime: {
    readonly modelTimeoutMs: number;
    readonly streamRetentionMs: number;
    readonly sweeperIntervalMs: number;
    readonly shutdownGraceMs: number;
    readonly demoWordDelayMs: number;
  };
  readonly fetch: { readonly allowPrivateNetworks: boolean; readonly caFile: string | undefined };
  readonly rateLimits: {
    readonly secretKey: number;
    readonly publicKey: number;
    readonly sessionToken: number;
    readonly ip: number;
  };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(EnvSchema.properties)) {
    const v = source[key];
    if (v !== undefined && v !== '') raw[key] = v;
  }
  const converted = Value.Convert(EnvSchema, Value.Default(EnvSchema, raw));
  const problems = [...Value.Errors(EnvSchema, converted)].map((e) => `${e.path.slice(1)}: ${e.message}`);
  const models = parseModels(source['PAPO_MODELS'], problems);
  if (problems.length > 0) throw new ConfigError(problems);
  const env = converted as Env;

  const providers: Config['providers'] = {
    ...(env.OPENAI_API_KEY && { openai: { apiKey: env.OPENAI_API_KEY, baseURL: env.OPENAI_BASE_URL } }),
    ...(env.ANTHROPIC_API_KEY && { anthropic: { apiKey: env.ANTHROPIC_API_KEY } }),
    ...(env.GOOGLE_GENERATIVE_AI_API_KEY && { google: { apiKey: env.GOOGLE_GENERATIVE_AI_API_KEY } }),
    ...(env.PAPO_OPENAI_COMPATIBLE_BASE_URL && {
      openaiCompatible: {
        baseURL: env.PAPO_OPENAI_COMPATIBLE_BASE_URL,
        apiKey: env.PAPO_OPENAI_COMPATIBLE_API_KEY,
        client: env.PAPO_OPENAI_COMPATIBLE_CLIENT,
      },
    }),
  };
  const host = env.HOST;
  return deepFreeze({
    server: {
      port: env.PORT,
      host,
      publicUrl: (
        env.PAPO_PUBLIC_URL ?? `http://${host.includes(':') ? `[${host}]` : host}:${env.PORT}`
      ).replace(/\/+$/, ''),
    },
    db: { url: env.DATABASE_URL, dataDir: path.resolve(env.PAPO_DATA_DIR) },
    redisUrl: env.REDIS_URL,
    adminToken: env.PAPO_ADMIN_TOKEN,
    secret: env.PAPO_SECRET,
    logLevel: env.LOG_LEVEL,
    providers,
    models,
    defaultModel: env.PAPO_DEFAULT_MODEL,
    runtime: {
      modelTimeoutMs: env.PAPO_MODEL_TIMEOUT_SECONDS * 1000,
      streamRetentionMs: env.PAPO_STREAM_RETENTION_SECONDS * 1000,
      sweeperIntervalMs: env.PAPO_SWEEPER_INTERVAL_SECONDS * 1000,
      shutdownGraceMs: env.PAPO_SHUTDOWN_GRACE_SECONDS * 1000,
      demoWordDelayMs: env.PAPO_DEMO_WORD_DELAY_MS,
    },
    fetch: { allowPrivateNetworks: env.PAPO_FETCH_ALLOW_PRIVATE_NETWORKS, caFile: env.PAPO_FETCH_CA_FILE },
    rateLimits: {
      secretKey: env.PAPO_RATE_LIMIT_SECRET_KEY,
      publicKey: env.PAPO_RATE_LIMIT_PUBLIC_KEY,
      sessionToken: env.PAPO_RATE_LIMIT_SESSION_TOKEN,
      ip: env.PAPO_RATE_LIMIT_IP,
    },
  });
}

function parseModels(text: string | undefined, problems: string[]): DeclaredModel[] {
  if (text === undefined || text.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    problems.push('PAPO_MODELS: must be a JSON array');
    return [];
  }
  const schema = Type.Array(DeclaredModelSchema);
  const errors = [...Value.Errors(schema, parsed)];
  for (const e of errors) problems.push(`PAPO_MODELS${e.path}: ${e.message}`);
  return errors.length === 0 ? (parsed as DeclaredModel[]) : [];
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
