import type { FastifyBaseLogger } from 'fastify';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/client.js';
import type { GenerationTracker } from '../../platform/runtime/generation-tracker.js';
import type { BlobStore } from '../../platform/storage/blob-store.js';
import { createKnowledgeBasesService, type KnowledgeBasesService } from './knowledge-bases.service.js';
import { createKnowledgeFilesService, type KnowledgeFilesService } from './knowledge-files.service.js';
import { createKnowledgeRecordsService, type KnowledgeRecordsService } from './knowledge-records.service.js';

/** Knowledge bases (README §8): the bases, their records and the files chunked into records. */
export interface KnowledgeService {
  bases: KnowledgeBasesService;
  records: KnowledgeRecordsService;
  files: KnowledgeFilesService;
}

export interface KnowledgeDeps {
  db: Db;
  clock: Clock;
  blobs: BlobStore;
  /** Background file processing is tracked like generations: shutdown waits for it. */
  tracker: GenerationTracker;
  log: FastifyBaseLogger;
}

export function createKnowledgeService(deps: KnowledgeDeps): KnowledgeService {
  return {
    bases: createKnowledgeBasesService(deps),
    records: createKnowledgeRecordsService(deps),
    files: createKnowledgeFilesService(deps),
  };
}
