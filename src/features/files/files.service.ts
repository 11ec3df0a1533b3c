import { and, desc, eq, inArray, isNull, or, type SQL } from 'drizzle-orm';
import type { Clock } from '../../platform/clock.js';
import type { Db, DbOrTx } from '../../platform/db/client.js';
import { conversations, files } from '../../platform/db/schema/index.js';
import { AgentNotAllowedError, AppError, InvalidRequestError, NotFoundError } from '../../platform/errors.js';
import { toPage, type Page } from '../../platform/http/pagination.js';
import { isUuid, newId } from '../../platform/ids.js';
import { assertJsonSize } from '../../platform/json-size.js';
import type { BlobStore } from '../../platform/storage/blob-store.js';
import { workspaceOf, type RequestContext } from '../context.js';
import { canUseAgent, requireScope, type KeyPrincipal } from '../keys/principal.js';
import { describeFileType, detectFileType, sanitizeFilename } from './file-type.js';
import { FILE_LIMIT_BYTES, toAgentFile, type AgentFile, type FileRow } from './files.types.js';

export interface UploadInput {
  /** `null` = the workspace pool (A13); set by conversation uploads after the caller checked the conversation. */
  conversationId: string | null;
  filename?: string;
  declaredType?: string;
  data: Buffer;
  metadata?: Record<string, unknown>;
}

export interface FilesService {
  /** Stores bytes the runtime fetched itself (image URLs of a message); no caller checks. */
  storeFetched(
    workspaceId: string,
    conversationId: string,
    input: { id?: string; data: Buffer; mimeType: string; name: string; metadata: Record<string, unknown> },
  ): Promise<FileRow>;
  /**
   * `beforeStore` runs once the upload is valid (400/413/415) and before anything is stored, so
   * a conversation upload checks its conversation (404/409) in README §5 order.
   */
  uploadFile(
    ctx: RequestContext,
    input: UploadInput,
    opts?: { beforeStore?: () => Promise<void> },
  ): Promise<AgentFile>;
  listFiles(
    ctx: RequestContext,
    page: { limit: number; offset: number },
    opts?: { conversationId?: string },
  ): Promise<Page<AgentFile>>;
  getFile(ctx: RequestContext, fileId: string): Promise<AgentFile>;
  deleteFile(ctx: RequestContext, fileId: string): Promise<void>;
  readContent(
    ctx: RequestContext,
    fileId: string,
    opts?: { conversationId?: string },
  ): Promise<{ file: AgentFile; data: Buffer }>;
  /** For the agent runtime: rows by id within a workspace; unknown/malformed ids are simply absent. */
  findFiles(workspaceId: string, ids: string[]): Promise<Map<string, FileRow>>;
  /** Bytes of a stored file, undefined when gone. */
  readBlob(row: FileRow): Promise<Buffer | undefined>;
}

export class FileTooLargeError extends AppError {
  constructor() {
    super('file_too_large', 'The file is larger than 25 MiB.', { limit_bytes: FILE_LIMIT_BYTES });
  }
}

export class UnsupportedMediaTypeError extends AppError {
  constructor(detectedType: string) {
    super(
      'unsupported_media_type',
      'Unsupported file type: send PNG, JPEG, GIF, WebP, PDF, DOCX, JSON, CSV, Markdown or plain UTF-8 text.',
      { detected_type: detectedType },
    );
  }
}

/** Tenant-scoped fetch-or-throw: another workspace's file and a malformed id are 404 like a missing one. */
export async function getFileOrThrow(db: DbOrTx, workspaceId: string, fileId: string): Promise<FileRow> {
  if (!isUuid(fileId)) throw new NotFoundError('file', fileId);
  const [row] = await db
    .select()
    .from(files)
    .where(and(eq(files.id, fileId), eq(files.workspaceId, workspaceId)));
  if (!row) throw new NotFoundError('file', fileId);
  return row;
}

export function createFilesService(deps: { db: Db; clock: Clock; blobs: BlobStore }): FilesService {
  const { db, clock, blobs } = deps;

  /** A file uploaded into a conversation is bound to its agent (quintus.md §1.1); pool files are not. */
  async function assertFileVisible(principal: KeyPrincipal, row: FileRow): Promise<void> {
    if (row.conversationId === null || principal.agentIds === null) return;
    const [conv] = await db
      .select({ agentId: conversations.agentId })
      .from(conversations)
      .where(and(eq(conversations.id, row.conversationId), eq(conversations.workspaceId, row.workspaceId)));
    if (!conv) throw new NotFoundError('file', row.id);
    if (!canUseAgent(principal, conv.agentId)) throw new AgentNotAllowedError(conv.agentId);
  }

  async function visibleFile(ctx: RequestContext, fileId: string): Promise<FileRow> {
    const row = await getFileOrThrow(db, workspaceOf(ctx), fileId);
    await assertFileVisible(ctx.principal, row);
    return row;
  }

  /** Blob first, then the row; a failed insert removes the blob again. */
  async function store(
    workspaceId: string,
    conversationId: string | null,
    input: {
      id?: string;
      data: Buffer;
      mimeType: string;
      name: string | undefined;
      metadata: Record<string, unknown>;
    },
    log?: RequestContext['log'],
  ): Promise<FileRow> {
    const id = input.id ?? newId();
    const storageKey = `${workspaceId}/${id}`;
    await blobs.put(storageKey, input.data);
    try {
      const [row] = await db
        .insert(files)
        .values({
          id,
          workspaceId,
          conversationId,
          name: sanitizeFilename(input.name),
          size: input.data.length,
          mimeType: input.mimeType,
          storageKey,
          metadata: input.metadata,
          createdAt: clock.now(),
        })
        .returning();
      return row!;
    } catch (err) {
      await blobs.delete(storageKey).catch((cause: unknown) => {
        log?.warn({ err: cause, storageKey }, 'could not remove the blob of a failed upload');
      });
      throw err;
    }
  }

  return {
    storeFetched: (workspaceId, conversationId, input) => store(workspaceId, conversationId, input),

    async uploadFile(ctx, input, opts = {}) {
      requireScope(ctx.principal, 'agent:run');
      if (input.data.length === 0) throw new InvalidRequestError('The file is empty.');
      if (input.data.length > FILE_LIMIT_BYTES) throw new FileTooLargeError();
      assertJsonSize('metadata', input.metadata);
      const mimeType = detectFileType(input.data, {
        filename: input.filename,
        declaredType: input.declaredType,
      });
      if (mimeType === undefined) throw new UnsupportedMediaTypeError(await describeFileType(input.data));
      await opts.beforeStore?.();

      const row = await store(
        workspaceOf(ctx),
        input.conversationId,
        { data: input.data, mimeType, name: input.filename, metadata: input.metadata ?? {} },
        ctx.log,
      );
      return toAgentFile(row);
    },

    async listFiles(ctx, page, opts = {}) {
      requireScope(ctx.principal, 'agent:run');
      const workspaceId = workspaceOf(ctx);
      const conds: (SQL | undefined)[] = [eq(files.workspaceId, workspaceId)];
      if (opts.conversationId !== undefined) {
        if (!isUuid(opts.conversationId)) return { items: [], next_offset: null };
        conds.push(eq(files.conversationId, opts.conversationId));
      }
      const allowed = ctx.principal.agentIds;
      if (allowed !== null) {
        const allowedConversations = db
          .select({ id: conversations.id })
          .from(conversations)
          .where(and(eq(conversations.workspaceId, workspaceId), inArray(conversations.agentId, allowed)));
        conds.push(or(isNull(files.conversationId), inArray(files.conversationId, allowedConversations)));
      }
      const rows = await db
        .select()
        .from(files)
        .where(and(...conds))
        .orderBy(desc(files.id))
        .limit(page.limit + 1)
        .offset(page.offset);
      return toPage(rows, page, toAgentFile);
    },

    async getFile(ctx, fileId) {
      requireScope(ctx.principal, 'agent:run');
      return toAgentFile(await visibleFile(ctx, fileId));
    },

    async deleteFile(ctx, fileId) {
      requireScope(ctx.principal, 'agent:run');
      const row = await visibleFile(ctx, fileId);
      const deleted = await db
        .delete(files)
        .where(and(eq(files.id, row.id), eq(files.workspaceId, row.workspaceId)))
        .returning({ storageKey: files.storageKey });
      if (deleted.length === 0) throw new NotFoundError('file', fileId);
      // The row is gone, so a retry would be 404: a blob we fail to remove is logged, not reported.
      await blobs.delete(row.storageKey).catch((err: unknown) => {
        ctx.log.warn({ err, storageKey: row.storageKey }, 'could not remove the blob of a deleted file');
      });
    },

    async readContent(ctx, fileId, opts = {}) {
      requireScope(ctx.principal, 'agent:run');
      const row = await getFileOrThrow(db, workspaceOf(ctx), fileId);
      // another conversation's file is 404 before any allow-list check could answer 403
      if (opts.conversationId !== undefined && row.conversationId !== opts.conversationId) {
        throw new NotFoundError('file', fileId);
      }
      await assertFileVisible(ctx.principal, row);
      const data = await blobs.get(row.storageKey);
      if (data === undefined) throw new NotFoundError('file', fileId);
      return { file: toAgentFile(row), data };
    },

    async findFiles(workspaceId, ids) {
      const wanted = [...new Set(ids.filter(isUuid))];
      const found = new Map<string, FileRow>();
      if (wanted.length === 0) return found;
      const rows = await db
        .select()
        .from(files)
        .where(and(eq(files.workspaceId, workspaceId), inArray(files.id, wanted)));
      for (const row of rows) found.set(row.id, row);
      return found;
    },

    readBlob(row) {
      return blobs.get(row.storageKey);
    },
  };
}
