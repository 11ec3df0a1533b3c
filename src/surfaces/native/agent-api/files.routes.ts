import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { FileTooLargeError } from '../../../features/files/files.service.js';
import type { AgentFile } from '../../../features/files/files.types.js';
import { InvalidRequestError, invalidField } from '../../../platform/errors.js';
import { PageQuery, PageSchema } from '../../../platform/http/pagination.js';
import type { App } from '../../../platform/http/types.js';
import { FREE_FORM_LIMIT_BYTES } from '../../../platform/json-size.js';
import { errorResponses } from '../errors.js';
import { DateTime, FreeObject, Nullable } from '../schemas.js';
import type { AgentApiDeps } from './index.js';

export const AgentFileSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String({ description: 'The uploaded filename without path components, ≤255 characters.' }),
    size: Type.Integer({ description: 'Bytes.' }),
    mime_type: Type.String({ description: 'Detected from the bytes, never from the filename.' }),
    created_at: DateTime,
    metadata: FreeObject(),
    conversation_id: Nullable(Type.String({ description: 'Set for files uploaded into a conversation.' })),
  },
  { $id: 'AgentFile' },
);

export const fileSchemas = [AgentFileSchema];

const FileId = Type.Object({ file_id: Type.String({ description: 'File id' }) });
const tags = ['Agent API · Files'];
const security = [{ ApiKey: [] }];
const common = [400, 401, 403, 429];

const UPLOAD_DESCRIPTION = [
  '`multipart/form-data` with exactly one file part named `file` (≤25 MiB, not empty) and an optional',
  'text part `metadata` holding a JSON object (≤16 KiB). The type is detected from the bytes: PNG, JPEG,',
  'GIF, WebP, PDF, DOCX, JSON, CSV, Markdown or plain UTF-8 text (CSV and Markdown by the `.csv`/`.md`',
  'filename or the part’s declared type). The file joins the workspace pool (`conversation_id: null`).',
].join(' ');

/**
 * Documents the multipart parts for OpenAPI only. No `type` keyword: the plugin leaves the body
 * undefined (parts are streamed in the handler), and Fastify's check of that `null` must pass.
 */
const UploadBody = {
  content: {
    'multipart/form-data': {
      schema: Type.Unsafe<unknown>({
        properties: {
          file: { type: 'string', format: 'binary', description: 'The file (≤25 MiB, not empty).' },
          metadata: {
            type: 'string',
            description: 'Optional JSON object (≤16 KiB), e.g. `{"source":"crm"}`.',
          },
        },
        required: ['file'],
      }),
    },
  },
};

export function fileRoutes(app: App, { services, ctx, hide }: AgentApiDeps): void {
  app.post(
    '/files',
    {
      config: { auth: 'agent-key' },
      schema: {
        hide,
        tags,
        security,
        summary: 'A13 · Upload a file to the workspace pool',
        description: UPLOAD_DESCRIPTION,
        consumes: ['multipart/form-data'],
        body: UploadBody,
        response: { 200: Type.Ref('AgentFile'), ...errorResponses(...common, 413, 415, 422) },
      },
    },
    async (req, reply) => {
      const upload = await readUpload(req, { metadata: true });
      return services.files.uploadFile(ctx(req, reply), { conversationId: null, ...upload });
    },
  );

  app.get(
    '/files',
    {
      config: { auth: 'agent-key' },
      schema: {
        hide,
        tags,
        security,
        summary: 'A14 · List the workspace’s files (pool and conversation files, newest first)',
        querystring: PageQuery,
        response: { 200: PageSchema(Type.Ref('AgentFile')), ...errorResponses(...common, 422) },
      },
    },
    async (req, reply) => services.files.listFiles(ctx(req, reply), req.query),
  );

  app.get(
    '/files/:file_id',
    {
      config: { auth: 'agent-key' },
      schema: {
        hide,
        tags,
        security,
        summary: 'A15 · Get a file’s metadata',
        params: FileId,
        response: { 200: Type.Ref('AgentFile'), ...errorResponses(...common, 404) },
      },
    },
    async (req, reply) => services.files.getFile(ctx(req, reply), req.params.file_id),
  );

  app.delete(
    '/files/:file_id',
    {
      config: { auth: 'agent-key' },
      schema: {
        hide,
        tags,
        security,
        summary: 'A16 · Delete a file and its bytes (message blocks naming it stay, dangling)',
        params: FileId,
        response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(...common, 404) },
      },
    },
    async (req, reply) => {
      await services.files.deleteFile(ctx(req, reply), req.params.file_id);
      return reply.status(204).send(null);
    },
  );

  app.get(
    '/files/:file_id/content',
    {
      config: { auth: 'agent-key' },
      schema: {
        hide,
        tags,
        security,
        summary: 'A19 · Download a file’s bytes',
        description:
          'The stored bytes with `Content-Type` = `mime_type` and `Content-Disposition: attachment`.',
        params: FileId,
        produces: ['*/*'],
        response: {
          200: {
            description: 'The file bytes',
            content: { '*/*': { schema: Type.String({ format: 'binary' }) } },
          },
          ...errorResponses(...common, 404),
        },
      },
    },
    async (req, reply) =>
      sendFileContent(reply, await services.files.readContent(ctx(req, reply), req.params.file_id)),
  );
}

export interface UploadParts {
  filename?: string;
  declaredType?: string;
  data: Buffer;
  metadata?: Record<string, unknown>;
}

/**
 * Reads an upload (README §5): one file part named `file`, plus a JSON-object `metadata` text part
 * when `opts.metadata` (A13). Other text parts are ignored; any other file part is a 400.
 */
export async function readUpload(req: FastifyRequest, opts: { metadata: boolean }): Promise<UploadParts> {
  if (!req.isMultipart()) {
    throw new InvalidRequestError('Send the file as multipart/form-data with one part named file.');
  }
  let file: UploadParts | undefined;
  let metadata: Record<string, unknown> | undefined;
  try {
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file' || file) {
          part.file.resume();
          throw new InvalidRequestError(
            'The multipart body has unexpected parts: send one file part named file.',
          );
        }
        file = await readFilePart(part);
      } else if (part.fieldname === 'file') {
        throw new InvalidRequestError(
          'The file part must carry a filename (Content-Disposition: form-data; filename=…).',
        );
      } else if (opts.metadata && part.fieldname === 'metadata') {
        metadata = parseMetadata(part);
      }
    }
  } catch (err) {
    // @fastify/multipart parses parts declared application/json itself and rejects bad JSON.
    if ((err as { code?: unknown }).code === 'FST_INVALID_JSON_FIELD_ERROR' && opts.metadata) {
      throw invalidField('metadata', 'must be a JSON object');
    }
    throw err;
  }
  if (!file) throw new InvalidRequestError('The multipart body has no part named file.');
  return metadata === undefined ? file : { ...file, metadata };
}

async function readFilePart(part: MultipartFile): Promise<UploadParts> {
  const data = await part.toBuffer();
  // Only reachable if the plugin was registered without throwFileSizeLimit: never store a truncated file.
  if (part.file.truncated) throw new FileTooLargeError();
  return {
    data,
    ...(part.filename ? { filename: part.filename } : {}),
    ...(part.mimetype ? { declaredType: part.mimetype } : {}),
  };
}

function parseMetadata(part: MultipartValue): Record<string, unknown> {
  if (part.valueTruncated) {
    throw invalidField('metadata', `must be at most ${FREE_FORM_LIMIT_BYTES} bytes when serialised`);
  }
  let value = part.value;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw invalidField('metadata', 'must be a JSON object (the value is not valid JSON)');
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidField('metadata', 'must be a JSON object');
  }
  return value as Record<string, unknown>;
}

/** P13/A19 download headers: stored type, attachment disposition, never sniffed or cached. */
export function sendFileContent(
  reply: FastifyReply,
  content: { file: AgentFile; data: Buffer },
): FastifyReply {
  const { file, data } = content;
  return reply
    .status(200)
    .header('Content-Type', file.mime_type)
    .header('Content-Length', String(data.length))
    .header('Content-Disposition', `attachment; filename*=UTF-8''${encodeRfc5987(file.name)}`)
    .header('X-Content-Type-Options', 'nosniff')
    .header('Cache-Control', 'private, no-store')
    .send(data);
}

/** RFC 5987 `value-chars`: percent-encode everything outside attr-char (encodeURIComponent leaves '()* alone). */
function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}
