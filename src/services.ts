import type { FastifyBaseLogger } from 'fastify';
import fs from 'node:fs';
import type { AppDeps } from './app.js';
import {
  createPublicFetcher,
  DEFAULT_FETCH_POLICY,
  type PublicFetcher,
} from './platform/net/public-fetch.js';
import { createAbilitiesService, type AbilitiesService } from './features/abilities/abilities.js';
import { createAgentsService, type AgentsService } from './features/agents/agents.service.js';
import { createFilesService, type FilesService } from './features/files/files.service.js';
import {
  createConversationFilesService,
  type ConversationFilesService,
} from './features/files/conversation-files.service.js';
import { createFeedbackService, type FeedbackService } from './features/feedback/feedback.service.js';
import { createInactivityService, type InactivityService } from './features/inactivity/inactivity.service.js';
import {
  createConversationsService,
  type ConversationsService,
} from './features/conversations/conversations.service.js';
import { createSessionTokens, type SessionTokens } from './features/conversations/session-tokens.js';
import {
  createPublicConversationsService,
  type PublicConversationsService,
} from './features/conversations/public-conversations.service.js';
import { createKeysService, type KeysService } from './features/keys/keys.service.js';
import { createModelsService, type ModelsService } from './features/models/models.service.js';
import { createMessagesService, type MessagesService } from './features/messages/messages.service.js';
import { createRunsService, type RunsService } from './features/runs/runs.service.js';
import { createSessionsService, type SessionsService } from './features/sessions/sessions.service.js';
import { createUsageService, type UsageService } from './features/usage/usage.service.js';
import { createUsersService, type UsersService } from './features/users/users.service.js';
import { createOperatorAuth, type OperatorAuth } from './features/workspaces/operator-token.js';
import { createWorkspacesService, type WorkspacesService } from './features/workspaces/workspaces.service.js';
import { createIdempotency, type Idempotency } from './platform/http/idempotency.js';
import { RateLimits } from './platform/http/rate-limit.js';
import { PriceTable } from './platform/llm/prices.js';
import { ArrivalOrder, ConversationQueue } from './platform/runtime/conversation-queue.js';
import { RedisTurns } from './platform/runtime/redis-turns.js';
import { GenerationTracker } from './platform/runtime/generation-tracker.js';
import { RedisStreamHub } from './platform/streams/redis-stream-hub.js';
import { StreamHub, type StreamStore } from './platform/streams/stream-hub.js';

/** Process-wide runtime pieces shared by every service and surface. */
export interface Runtime {
  /** Replay buffers of streams: in-process, or shared through Redis Streams (REDIS_URL). */
  hub: StreamStore;
  queue: ConversationQueue;
  /** Arrival order for sends that name their conversation in the body (compat surfaces). */
  arrivals: ArrivalOrder;
  tracker: GenerationTracker;
  /** Cross-instance turn order (REDIS_URL); closed on shutdown. */
  turns: RedisTurns | undefined;
  rateLimits: RateLimits;
  prices: PriceTable;
  idempotency: Idempotency;
}

export interface Services {
  runtime: Runtime;
  operator: OperatorAuth;
  workspaces: WorkspacesService;
  keys: KeysService;
  agents: AgentsService;
  abilities: AbilitiesService;
  users: UsersService;
  sessions: SessionsService;
  messages: MessagesService;
  files: FilesService;
  runs: RunsService;
  usage: UsageService;
  sessionTokens: SessionTokens;
  publicConversations: PublicConversationsService;
  conversations: ConversationsService;
  /** Downloads from public https URLs for every surface (SSRF-safe policy, README §7). */
  fetchUrl: PublicFetcher;
  models: ModelsService;
  conversationFiles: ConversationFilesService;
  feedback: FeedbackService;
  inactivity: InactivityService;
}

export function createServices(deps: AppDeps, log?: FastifyBaseLogger): Services {
  const { config, clock } = deps;
  const db = deps.db.db;
  const turns = deps.redis
    ? new RedisTurns(deps.redis, { warn: (obj, msg) => log?.warn(obj, msg) })
    : undefined;
  const queue = new ConversationQueue(turns);
  const runtime: Runtime = {
    hub: deps.redis
      ? new RedisStreamHub({
          redis: deps.redis,
          retentionMs: config.runtime.streamRetentionMs,
          // a stream lives through its queue wait and the model call; then its retention
          maxGenerationMs: 2 * config.runtime.modelTimeoutMs + 60_000,
          log: log ?? console,
        })
      : new StreamHub(config.runtime.streamRetentionMs),
    queue,
    arrivals: new ArrivalOrder(queue),
    tracker: new GenerationTracker(),
    turns,
    rateLimits: new RateLimits(deps.redis),
    prices: new PriceTable(config.models),
    idempotency: createIdempotency({ db, clock, inProgressTtlMs: config.runtime.modelTimeoutMs + 60_000 }),
  };
  const sessionTokens = createSessionTokens({ secret: deps.signingSecret, clock });
  const files = createFilesService({ db, clock, blobs: deps.blobs });
  const fetchUrl = createPublicFetcher({
    ...DEFAULT_FETCH_POLICY,
    allowPrivateNetworks: config.fetch.allowPrivateNetworks,
    ...(config.fetch.caFile && { ca: fs.readFileSync(config.fetch.caFile, 'utf8') }),
  });
  const messageDeps = { db, clock, config, gateway: deps.gateway, runtime, files, fetchUrl };
  return {
    runtime,
    operator: createOperatorAuth(db, config.adminToken),
    workspaces: createWorkspacesService({ db, clock }),
    keys: createKeysService({ db, clock }),
    agents: createAgentsService({
      db,
      clock,
      defaultModel: config.defaultModel,
      isKnownModel: (m) => deps.gateway.isKnownModel(m),
    }),
    abilities: createAbilitiesService({ db, clock }),
    users: createUsersService({ db, clock }),
    sessions: createSessionsService({ db, clock }),
    messages: createMessagesService(messageDeps),
    files,
    runs: createRunsService(messageDeps),
    usage: createUsageService({ db }),
    sessionTokens,
    publicConversations: createPublicConversationsService({ db, clock, tokens: sessionTokens }),
    conversations: createConversationsService({ db, clock }),
    fetchUrl,
    models: createModelsService({ db, clock, config, gateway: deps.gateway, prices: runtime.prices }),
    conversationFiles: createConversationFilesService({ db, clock, files }),
    feedback: createFeedbackService({ db, clock }),
    inactivity: createInactivityService(messageDeps),
  };
}
