import { Type, type Static } from '@sinclair/typebox';
import type { KeysetPosition } from '../../../features/knowledge/keyset.js';
import type { KnowledgeService } from '../../../features/knowledge/knowledge.service.js';
import type { KnowledgeFile, KnowledgeRecord } from '../../../features/knowledge/knowledge.types.js';
import { invalidField } from '../../../platform/errors.js';
import { isUuid } from '../../../platform/ids.js';
import type { RateLimits } from '../../../platform/http/rate-limit.js';
import type { App } from '../../../platform/http/types.js';
import { readUpload } from '../agent-api/files.routes.js';
import { errorResponses } from '../errors.js';
import { DateTime, Nullable } from '../schemas.js';
import { adminContexts, adminSecurity } from './index.js';

const RecordOut = Type.Object({
  id: Type.String(),
  knowledge_base_id: Type.String(),
  file_id: Nullable(
    Type.String({ description: 'The file this record was chunked from; null when typed in.' }),
  ),
  title: Nullable(Type.String()),
  text: Type.String(),
  created_at: DateTime,
});

const FileOut = Type.Object({
  id: Type.String(),
  knowledge_base_id: Type.String(),
  name: Type.String(),
  size: Type.Integer({ description: 'Bytes.' }),
  mime_type: Type.String(),
  status: Type.Union([Type.Literal('processing'), Type.Literal('ready'), Type.Literal('failed')], {
    description: '`processing` until the file is extracted and chunked into records.',
  }),
  records_count: Type.Integer({ description: 'Records made from the file and still there.' }),
  error: Nullable(Type.String({ description: 'Why processing failed.' })),
  created_at: DateTime,
});

const Cursor = Type.String({
  maxLength: 200,
  description: '`next_cursor` of the previous page; rows created meanwhile never shift pages.',
});
const ListQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(Cursor),
};
const CursorPage = <T extends ReturnType<typeof Type.Object>>(item: T) =>
  Type.Object({ items: Type.Array(item), next_cursor: Nullable(Type.String()) });

const KbParams = Type.Object({ workspace_id: Type.String(), knowledge_base_id: Type.String() });
const RecordParams = Type.Object({
  workspace_id: Type.String(),
  knowledge_base_id: Type.String(),
  record_id: Type.String(),
});
const FileParams = Type.Object({
  workspace_id: Type.String(),
  knowledge_base_id: Type.String(),
  file_id: Type.String(),
});
const tags = ['Admin · Knowledge bases'];
const config = { auth: 'admin' as const };

/** Documents the multipart part for OpenAPI only (parts are streamed in the handler). */
const UploadBody = {
  content: {
    'multipart/form-data': {
      schema: Type.Unsafe<unknown>({
        properties: {
          file: {
            type: 'string',
            format: 'binary',
            description: 'PDF, DOCX, text, Markdown, CSV or JSON (≤25 MiB).',
          },
        },
        required: ['file'],
      }),
    },
  },
};

function toRecordWire(r: KnowledgeRecord): Static<typeof RecordOut> {
  return {
    id: r.id,
    knowledge_base_id: r.knowledgeBaseId,
    file_id: r.fileId,
    title: r.title,
    text: r.text,
    created_at: r.createdAt.toISOString(),
  };
}

function toFileWire(f: KnowledgeFile): Static<typeof FileOut> {
  return {
    id: f.id,
    knowledge_base_id: f.knowledgeBaseId,
    name: f.name,
    size: f.size,
    mime_type: f.mimeType,
    status: f.status,
    records_count: f.records,
    error: f.error,
    created_at: f.createdAt.toISOString(),
  };
}

/** Cursors name a position in a newest-first listing: `<created_at ISO>_<id>`, base64url. */
export function encodeCursor(p: KeysetPosition | null): string | null {
  return p ? Buffer.from(`${p.createdAt}_${p.id}`).toString('base64url') : null;
}

export function decodeCursor(cursor: string | undefined): KeysetPosition | null {
  if (cursor === undefined) return null;
  const [createdAt, id, extra] = Buffer.from(cursor, 'base64url').toString('utf8').split('_');
  if (extra !== undefined || !id || !isUuid(id) || !createdAt || Number.isNaN(Date.parse(createdAt))) {
    throw invalidField('cursor', 'is not a cursor of this listing', 'query');
  }
  return { createdAt: new Date(createdAt).toISOString(), id };
}

/**
 * What a knowledge base holds, for the dashboard (Papo extension of admin.md; EvaGPT E13–E20
 * reach the same records and files): text records and the files chunked into records.
 */
export function knowledgeContentRoutes(app: App, knowledge: KnowledgeService, rateLimits: RateLimits): void {
  const ctx = adminContexts(rateLimits);

  app.get(
    '/workspaces/:workspace_id/knowledge-bases/:knowledge_base_id/records',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Records of a knowledge base (newest first)',
        params: KbParams,
        querystring: Type.Object({
          ...ListQuery,
          search: Type.Optional(
            Type.String({ minLength: 1, maxLength: 200, description: 'Substring of the title or text.' }),
          ),
          file_id: Type.Optional(Type.String({ description: 'Only the records made from this file.' })),
        }),
        response: { 200: CursorPage(RecordOut), ...errorResponses(401, 403, 404, 422) },
      },
    },
    async (req, reply) => {
      const { limit, cursor, search, file_id } = req.query;
      const page = await knowledge.records.listRecords(
        ctx(req, reply),
        req.params.knowledge_base_id,
        { search, fileId: file_id },
        { limit, after: decodeCursor(cursor), withTotal: false },
      );
      return { items: page.items.map(toRecordWire), next_cursor: page.more ? encodeCursor(page.last) : null };
    },
  );

  app.post(
    '/workspaces/:workspace_id/knowledge-bases/:knowledge_base_id/records',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Add a text record (searchable at once)',
        params: KbParams,
        body: Type.Object({
          text: Type.String({ minLength: 1, maxLength: 20_000 }),
          title: Type.Optional(Nullable(Type.String({ maxLength: 200 }))),
        }),
        response: { 200: RecordOut, ...errorResponses(400, 401, 403, 404, 413, 422) },
      },
    },
    async (req, reply) =>
      toRecordWire(
        await knowledge.records.createRecord(ctx(req, reply), req.params.knowledge_base_id, req.body),
      ),
  );

  app.delete(
    '/workspaces/:workspace_id/knowledge-bases/:knowledge_base_id/records/:record_id',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Delete a record',
        params: RecordParams,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      await knowledge.records.deleteRecord(
        ctx(req, reply),
        req.params.knowledge_base_id,
        req.params.record_id,
      );
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/workspaces/:workspace_id/knowledge-bases/:knowledge_base_id/files',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Files of a knowledge base (newest first), with their processing status',
        params: KbParams,
        querystring: Type.Object(ListQuery),
        response: { 200: CursorPage(FileOut), ...errorResponses(401, 403, 404, 422) },
      },
    },
    async (req, reply) => {
      const page = await knowledge.files.listFiles(ctx(req, reply), req.params.knowledge_base_id, {
        limit: req.query.limit,
        after: decodeCursor(req.query.cursor),
        withTotal: false,
      });
      return { items: page.items.map(toFileWire), next_cursor: page.more ? encodeCursor(page.last) : null };
    },
  );

  app.post(
    '/workspaces/:workspace_id/knowledge-bases/:knowledge_base_id/files',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Upload a file; it is extracted and chunked into records in the background',
        description:
          '`multipart/form-data` with one part named `file`: PDF, DOCX, plain text, Markdown, CSV or JSON (≤25 MiB, not empty). Answers at once with `status: processing`; list the files to see it become `ready` (or `failed`, with `error`).',
        params: KbParams,
        consumes: ['multipart/form-data'],
        body: UploadBody,
        response: { 200: FileOut, ...errorResponses(400, 401, 403, 404, 413, 415) },
      },
    },
    async (req, reply) => {
      const c = ctx(req, reply);
      const upload = await readUpload(req, { metadata: false });
      return toFileWire(await knowledge.files.uploadFile(c, req.params.knowledge_base_id, upload));
    },
  );

  app.delete(
    '/workspaces/:workspace_id/knowledge-bases/:knowledge_base_id/files/:file_id',
    {
      config,
      schema: {
        tags,
        security: adminSecurity,
        summary: 'Delete a file and the records made from it',
        params: FileParams,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
      },
    },
    async (req, reply) => {
      await knowledge.files.deleteFile(ctx(req, reply), req.params.file_id, {
        knowledgeBaseId: req.params.knowledge_base_id,
      });
      return reply.status(204).send(null);
    },
  );
}
