import type { FastifyBaseLogger } from 'fastify';
import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/client.js';
import { knowledgeFiles, knowledgeRecords } from '../../platform/db/schema/index.js';
import { InvalidRequestError, NotFoundError } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import type { GenerationTracker } from '../../platform/runtime/generation-tracker.js';
import type { BlobStore } from '../../platform/storage/blob-store.js';
import { workspaceOf, type RequestContext } from '../context.js';
import { describeFileType, detectFileType, sanitizeFilename } from '../files/file-type.js';
import { FileTooLargeError, UnsupportedMediaTypeError } from '../files/files.service.js';
import { FILE_LIMIT_BYTES } from '../files/files.types.js';
import { requireScope } from '../keys/principal.js';
import { ExtractionError, extractChunks, KNOWLEDGE_FILE_TYPES } from './extract.js';
import { keysetResult, olderThan, type KeysetPage, type KeysetResult } from './keyset.js';
import { fileRecordCounts, getKnowledgeBaseOrThrow, getKnowledgeFileOrThrow } from './knowledge.repo.js';
import { toKnowledgeFile, type KnowledgeFile, type KnowledgeFileRow } from './knowledge.types.js';

export interface KnowledgeUpload {
  data: Buffer;
  filename?: string;
  declaredType?: string;
}

export interface KnowledgeFilesService {
  /** Stores the file (`processing`) and chunks it into records in the background. */
  uploadFile(ctx: RequestContext, baseId: string, upload: KnowledgeUpload): Promise<KnowledgeFile>;
  listFiles(ctx: RequestContext, baseId: string, page: KeysetPage): Promise<KeysetResult<KnowledgeFile>>;
  /**
   * Deletes the file, its bytes and every record made from it; cancels processing in flight.
   * With `knowledgeBaseId`, 404 unless the file belongs to that knowledge base.
   */
  deleteFile(
    ctx: RequestContext,
    fileId: string,
    opts?: { knowledgeBaseId?: string },
  ): Promise<{ recordsDeleted: number }>;
  readFile(ctx: RequestContext, fileId: string): Promise<{ file: KnowledgeFile; data: Buffer }>;
  /**
   * Processes again files left `processing` for longer than `olderThanMs` (the process that took
   * them stopped before finishing: a crash or a kill): their bytes are stored, so nothing an
   * operator uploaded is lost. Returns how many were picked up.
   */
  resumeStale(olderThanMs: number): Promise<number>;
  /** Resolves once no file is being processed (tests; shutdown waits through the tracker). */
  idle(): Promise<void>;
}

/** Records inserted per statement when a file is chunked. */
const INSERT_BATCH = 200;

export function createKnowledgeFilesService(deps: {
  db: Db;
  clock: Clock;
  blobs: BlobStore;
  tracker: GenerationTracker;
  log: FastifyBaseLogger;
}): KnowledgeFilesService {
  const { db, clock, blobs, tracker, log } = deps;
  const inflight = new Set<Promise<void>>();
  /** Ids of the files this process is working on (resumeStale leaves them alone). */
  const working = new Set<string>();

  /**
   * Extracts and chunks the text, then in one transaction marks the file `ready` only if it is
   * still `processing` (a delete meanwhile removed it: nothing is written) and adds the records.
   */
  async function processFile(row: KnowledgeFileRow, data: Buffer): Promise<void> {
    let chunks: string[];
    try {
      chunks = await extractChunks(data, row.mimeType);
    } catch (err) {
      if (!(err instanceof ExtractionError))
        log.error({ err, fileId: row.id }, 'knowledge file extraction failed');
      const error = err instanceof ExtractionError ? err.message : 'The file could not be processed.';
      await db
        .update(knowledgeFiles)
        .set({ status: 'failed', error, updatedAt: clock.now() })
        .where(and(eq(knowledgeFiles.id, row.id), eq(knowledgeFiles.status, 'processing')));
      return;
    }
    await db.transaction(async (tx) => {
      const now = clock.now();
      const [ready] = await tx
        .update(knowledgeFiles)
        .set({ status: 'ready', updatedAt: now })
        .where(and(eq(knowledgeFiles.id, row.id), eq(knowledgeFiles.status, 'processing')))
        .returning({ id: knowledgeFiles.id });
      if (!ready) return;
      for (let at = 0; at < chunks.length; at += INSERT_BATCH) {
        await tx.insert(knowledgeRecords).values(
          chunks.slice(at, at + INSERT_BATCH).map((text, i) => ({
            id: newId(),
            workspaceId: row.workspaceId,
            knowledgeBaseId: row.knowledgeBaseId,
            fileId: row.id,
            chunkIndex: at + i,
            title: chunks.length === 1 ? row.name : `${row.name} (${at + i + 1}/${chunks.length})`,
            text,
            meta: { source: 'file', file_name: row.name, chunk: at + i },
            createdAt: now,
          })),
        );
      }
    });
  }

  function startProcessing(row: KnowledgeFileRow, data: Buffer): void {
    const work = processFile(row, data).catch(async (err: unknown) => {
      log.error({ err, fileId: row.id }, 'knowledge file processing failed');
      await db
        .update(knowledgeFiles)
        .set({ status: 'failed', error: 'The file could not be processed.', updatedAt: clock.now() })
        .where(and(eq(knowledgeFiles.id, row.id), eq(knowledgeFiles.status, 'processing')))
        .catch(() => undefined);
    });
    inflight.add(work);
    working.add(row.id);
    void work.finally(() => {
      inflight.delete(work);
      working.delete(row.id);
    });
    void tracker.track(work);
  }

  return {
    async uploadFile(ctx, baseId, upload) {
      requireScope(ctx.principal, 'admin');
      if (upload.data.length === 0) throw new InvalidRequestError('The file is empty.');
      if (upload.data.length > FILE_LIMIT_BYTES) throw new FileTooLargeError();
      const mimeType = detectFileType(upload.data, {
        filename: upload.filename,
        declaredType: upload.declaredType,
      });
      if (mimeType === undefined || !KNOWLEDGE_FILE_TYPES.has(mimeType)) {
        throw new UnsupportedMediaTypeError(mimeType ?? (await describeFileType(upload.data)));
      }
      const base = await getKnowledgeBaseOrThrow(db, workspaceOf(ctx), baseId);
      const id = newId();
      const storageKey = `knowledge/${base.workspaceId}/${id}`;
      await blobs.put(storageKey, upload.data);
      const now = clock.now();
      let row: KnowledgeFileRow;
      try {
        [row] = (await db
          .insert(knowledgeFiles)
          .values({
            id,
            workspaceId: base.workspaceId,
            knowledgeBaseId: base.id,
            name: sanitizeFilename(upload.filename),
            size: upload.data.length,
            mimeType,
            storageKey,
            status: 'processing',
            error: null,
            createdAt: now,
            updatedAt: now,
          })
          .returning()) as [KnowledgeFileRow];
      } catch (err) {
        await blobs.delete(storageKey).catch(() => undefined);
        throw err;
      }
      startProcessing(row, upload.data);
      return toKnowledgeFile(row, 0);
    },

    async listFiles(ctx, baseId, page) {
      requireScope(ctx.principal, 'agent:run');
      const base = await getKnowledgeBaseOrThrow(db, workspaceOf(ctx), baseId);
      const f = knowledgeFiles;
      const inBase = eq(f.knowledgeBaseId, base.id);
      const total = page.withTotal
        ? await db
            .select({ n: sql<number>`count(*)::int` })
            .from(f)
            .where(inBase)
            .then((rows) => Number(rows[0]?.n ?? 0))
        : null;
      const after = olderThan(f.createdAt, f.id, page.after);
      const rows = await db
        .select()
        .from(f)
        .where(after ? and(inBase, after) : inBase)
        .orderBy(desc(f.createdAt), desc(f.id))
        .limit(page.limit + 1);
      const counts = await fileRecordCounts(
        db,
        rows.map((r) => r.id),
      );
      return keysetResult(rows, page, total, (r) => toKnowledgeFile(r, counts.get(r.id) ?? 0));
    },

    async deleteFile(ctx, fileId, opts = {}) {
      requireScope(ctx.principal, 'admin');
      const workspaceId = workspaceOf(ctx);
      const { storageKey, recordsDeleted } = await db.transaction(async (tx) => {
        // the row lock waits for a processing transaction in flight, so its records are seen here
        const row = await getKnowledgeFileOrThrow(tx, workspaceId, fileId, { lock: true });
        if (opts.knowledgeBaseId !== undefined && row.knowledgeBaseId !== opts.knowledgeBaseId) {
          throw new NotFoundError('file', fileId);
        }
        const records = await tx
          .delete(knowledgeRecords)
          .where(eq(knowledgeRecords.fileId, row.id))
          .returning({ id: knowledgeRecords.id });
        const gone = await tx
          .delete(knowledgeFiles)
          .where(eq(knowledgeFiles.id, row.id))
          .returning({ id: knowledgeFiles.id });
        if (gone.length === 0) throw new NotFoundError('file', fileId);
        return { storageKey: row.storageKey, recordsDeleted: records.length };
      });
      await blobs.delete(storageKey).catch((err: unknown) => {
        ctx.log.warn({ err, storageKey }, 'could not remove the blob of a deleted knowledge file');
      });
      return { recordsDeleted };
    },

    async readFile(ctx, fileId) {
      requireScope(ctx.principal, 'agent:run');
      const row = await getKnowledgeFileOrThrow(db, workspaceOf(ctx), fileId);
      const data = await blobs.get(row.storageKey);
      if (data === undefined) throw new NotFoundError('file', fileId);
      const counts = await fileRecordCounts(db, [row.id]);
      return { file: toKnowledgeFile(row, counts.get(row.id) ?? 0), data };
    },

    async resumeStale(olderThanMs) {
      const stale = await db
        .select()
        .from(knowledgeFiles)
        .where(
          and(
            eq(knowledgeFiles.status, 'processing'),
            lt(knowledgeFiles.updatedAt, new Date(clock.now().getTime() - olderThanMs)),
          ),
        )
        .orderBy(knowledgeFiles.createdAt)
        .limit(100);
      let resumed = 0;
      for (const row of stale) {
        if (working.has(row.id)) continue;
        const data = await blobs.get(row.storageKey);
        if (data === undefined) {
          await db
            .update(knowledgeFiles)
            .set({ status: 'failed', error: 'The stored file is missing.', updatedAt: clock.now() })
            .where(and(eq(knowledgeFiles.id, row.id), eq(knowledgeFiles.status, 'processing')));
          continue;
        }
        log.warn({ fileId: row.id }, 'resuming a knowledge file left processing');
        startProcessing(row, data);
        resumed++;
      }
      return resumed;
    },

    async idle() {
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
    },
  };
}
