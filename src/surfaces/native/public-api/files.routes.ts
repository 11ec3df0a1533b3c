import { Type } from '@sinclair/typebox';
import { PageQuery, PageSchema } from '../../../platform/http/pagination.js';
import type { App } from '../../../platform/http/types.js';
import { readUpload, sendFileContent } from '../agent-api/files.routes.js';
import { errorResponses } from '../errors.js';
import { DateTime } from '../schemas.js';
import { tokenSecurity } from './conversations.routes.js';
import type { PublicApiDeps } from './index.js';

export const PublicFile = Type.Object(
  {
    id: Type.String(),
    name: Type.String({ description: 'The uploaded filename without path components, ≤255 characters.' }),
    size: Type.Integer({ description: 'Bytes.' }),
    mime_type: Type.String({ description: 'Detected from the bytes, never from the filename.' }),
    created_at: DateTime,
  },
  { $id: 'PublicFile' },
);

export const publicFileSchemas = [PublicFile];

const Conversation = Type.Object({ conversation_id: Type.String({ description: 'Conversation id' }) });
const tags = ['Public Chat API · Files'];
const common = [401, 403, 404, 429];

/** OpenAPI only: the parts are streamed in the handler (see the A13 route for why there is no `type`). */
const UploadBody = {
  content: {
    'multipart/form-data': {
      schema: Type.Unsafe<unknown>({
        properties: {
          file: { type: 'string', format: 'binary', description: 'The file (≤25 MiB, not empty).' },
        },
        required: ['file'],
      }),
    },
  },
};

export function publicFileRoutes(app: App, { services, ctx }: PublicApiDeps): void {
  const svc = services.conversationFiles;

  app.post(
    '/conversations/:conversation_id/files',
    {
      config: { auth: 'session-token' },
      schema: {
        tags,
        security: tokenSecurity,
        summary: 'P10 · Upload a file to the conversation',
        description:
          '`multipart/form-data` with one file part named `file` (≤25 MiB, not empty); the type is detected from the bytes (PNG, JPEG, GIF, WebP, PDF, DOCX, JSON, CSV, Markdown, plain text). The conversation must be `active`; the upload counts as activity. Message content blocks of this conversation may then name the file.',
        consumes: ['multipart/form-data'],
        params: Conversation,
        body: UploadBody,
        response: { 200: Type.Ref('PublicFile'), ...errorResponses(400, ...common, 409, 413, 415) },
      },
    },
    async (req, reply) => {
      const upload = await readUpload(req, { metadata: false });
      return svc.uploadFile(ctx(req, reply), req.params.conversation_id, upload);
    },
  );

  app.get(
    '/conversations/:conversation_id/files',
    {
      config: { auth: 'session-token' },
      schema: {
        tags,
        security: tokenSecurity,
        summary: 'P11 · List the conversation’s files (newest first)',
        params: Conversation,
        querystring: PageQuery,
        response: { 200: PageSchema(Type.Ref('PublicFile')), ...errorResponses(...common, 422) },
      },
    },
    async (req, reply) => svc.listFiles(ctx(req, reply), req.params.conversation_id, req.query),
  );

  app.get(
    '/conversations/:conversation_id/files/:file_id/content',
    {
      config: { auth: 'session-token' },
      schema: {
        tags,
        security: tokenSecurity,
        summary: 'P13 · Download a file of the conversation',
        description:
          'The stored bytes with `Content-Type` = `mime_type` and `Content-Disposition: attachment`. A file of another conversation is 404.',
        params: Type.Object({
          conversation_id: Type.String({ description: 'Conversation id' }),
          file_id: Type.String({ description: 'File id' }),
        }),
        produces: ['*/*'],
        response: {
          200: {
            description: 'The file bytes',
            content: { '*/*': { schema: Type.String({ format: 'binary' }) } },
          },
          ...errorResponses(...common),
        },
      },
    },
    async (req, reply) =>
      sendFileContent(
        reply,
        await svc.readContent(ctx(req, reply), req.params.conversation_id, req.params.file_id),
      ),
  );
}
