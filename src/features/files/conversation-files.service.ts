import type { Clock } from '../../platform/clock.js';
import type { Db } from '../../platform/db/client.js';
import { ConversationClosedError } from '../../platform/errors.js';
import type { Page } from '../../platform/http/pagination.js';
import { touchActiveConversation } from '../conversations/activity.js';
import type { RequestContext } from '../context.js';
import { effectiveStatus, findConversation, getConversationForPrincipal } from '../sessions/sessions.repo.js';
import type { FilesService, UploadInput } from './files.service.js';
import type { AgentFile } from './files.types.js';

/** quintus.md §5.5 PublicFile: the first five AgentFile fields. */
export interface PublicFile {
  id: string;
  name: string;
  size: number;
  mime_type: string;
  created_at: string;
}

export function toPublicFile(f: AgentFile): PublicFile {
  return { id: f.id, name: f.name, size: f.size, mime_type: f.mime_type, created_at: f.created_at };
}

export type ConversationUpload = Omit<UploadInput, 'conversationId' | 'metadata'>;

/** Files of one conversation on the Public Chat API (P10, P11, P13). */
export interface ConversationFilesService {
  /** P10: the conversation must be active; the upload counts as activity. */
  uploadFile(ctx: RequestContext, conversationId: string, upload: ConversationUpload): Promise<PublicFile>;
  /** P11: this conversation's files, newest first. */
  listFiles(
    ctx: RequestContext,
    conversationId: string,
    page: { limit: number; offset: number },
  ): Promise<Page<PublicFile>>;
  /** P13: a file of this conversation (any other file is 404). */
  readContent(
    ctx: RequestContext,
    conversationId: string,
    fileId: string,
  ): Promise<{ file: AgentFile; data: Buffer }>;
}

export function createConversationFilesService(deps: {
  db: Db;
  clock: Clock;
  files: FilesService;
}): ConversationFilesService {
  const { db, clock, files } = deps;
  const conversationOf = (ctx: RequestContext, id: string) =>
    getConversationForPrincipal(db, ctx.principal, id, 'conversation');

  return {
    async uploadFile(ctx, conversationId, upload) {
      const stored = await files.uploadFile(
        ctx,
        { ...upload, conversationId },
        {
          // after the upload is validated, before it is stored (README §5 check order)
          beforeStore: async () => {
            const row = await conversationOf(ctx, conversationId);
            const now = clock.now();
            const status = effectiveStatus(row, now);
            if (status !== 'active') throw new ConversationClosedError(row.id, status);
            if (await touchActiveConversation(db, row.id, now)) return;
            // closed or expired since it was read
            const fresh = await findConversation(db, row.id);
            throw new ConversationClosedError(row.id, fresh ? effectiveStatus(fresh, now) : 'closed');
          },
        },
      );
      return toPublicFile(stored);
    },

    async listFiles(ctx, conversationId, page) {
      const row = await conversationOf(ctx, conversationId);
      const result = await files.listFiles(ctx, page, { conversationId: row.id });
      return { items: result.items.map(toPublicFile), next_offset: result.next_offset };
    },

    async readContent(ctx, conversationId, fileId) {
      const row = await conversationOf(ctx, conversationId);
      return files.readContent(ctx, fileId, { conversationId: row.id });
    },
  };
}
