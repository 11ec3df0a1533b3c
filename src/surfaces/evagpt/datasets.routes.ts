import { Type } from '@sinclair/typebox';
import type { RecordFilters } from '../../features/knowledge/knowledge-records.service.js';
import { readUpload } from '../native/agent-api/files.routes.js';
import {
  Dataset,
  DatasetFile,
  FreeObject,
  PageFields,
  PageParams,
  Record_,
  toDataset,
  toDatasetFile,
  toRecord,
} from './schemas.js';
import type { EvagptRouteDeps } from './plugin.js';

const agentRun = { auth: 'agent-key' as const, evagptScope: 'agent:run' as const };
const admin = { auth: 'agent-key' as const, evagptScope: 'admin' as const };
const DatasetParams = Type.Object({ datasetid: Type.String() });
const FileParams = Type.Object({ fileid: Type.String() });

const RecordBody = Type.Object({
  text: Type.String({ minLength: 1, maxLength: 20_000 }),
  title: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])),
  meta: Type.Optional(FreeObject),
});

/** RFC 5987 `filename*` value: UTF-8, percent-encoded. */
function contentDisposition(name: string): string {
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename*=UTF-8''${encoded}`;
}

/** evagpt.md §6: E13–E20 (datasets are Papo knowledge bases). */
export function datasetRoutes({ app, ctx, knowledge, cursors }: EvagptRouteDeps): void {
  app.get(
    '/dataset',
    { config: agentRun, schema: { hide: true, response: { 200: Type.Array(Dataset) } } },
    async (req, reply) => (await knowledge.bases.listBases(ctx(req, reply))).map(toDataset),
  );

  app.post(
    '/dataset/record/:datasetid',
    {
      config: admin,
      schema: { hide: true, params: DatasetParams, body: RecordBody, response: { 200: Record_ } },
    },
    async (req, reply) =>
      toRecord(await knowledge.records.createRecord(ctx(req, reply), req.params.datasetid, req.body)),
  );

  app.get(
    '/dataset/record/:datasetid/list',
    {
      config: agentRun,
      schema: {
        hide: true,
        params: DatasetParams,
        querystring: Type.Object({
          ...PageParams,
          search: Type.Optional(Type.String({ maxLength: 200 })),
          fileId: Type.Optional(Type.String({ format: 'uuid' })),
        }),
        response: { 200: Type.Object({ ...PageFields, records: Type.Array(Record_) }) },
      },
    },
    async (req, reply) => {
      const c = ctx(req, reply);
      const q = req.query;
      const filters: RecordFilters = {
        ...(q.search && { search: q.search }),
        ...(q.fileId && { fileId: q.fileId }),
      };
      const listing = `records:${req.params.datasetid}`;
      const step = cursors.step(listing, c.principal.workspaceId, q, filters);
      const result = await knowledge.records.listRecords(c, req.params.datasetid, step.filters, step.page);
      return {
        ...cursors.envelope(listing, c.principal.workspaceId, step, result),
        records: result.items.map(toRecord),
      };
    },
  );

  app.delete(
    '/dataset/record/:datasetid/:recordid',
    {
      config: admin,
      schema: {
        hide: true,
        params: Type.Object({ datasetid: Type.String(), recordid: Type.String() }),
        response: { 200: Type.Object({ id: Type.String(), deleted: Type.Boolean() }) },
      },
    },
    async (req, reply) => {
      await knowledge.records.deleteRecord(ctx(req, reply), req.params.datasetid, req.params.recordid);
      return { id: req.params.recordid, deleted: true };
    },
  );

  app.post(
    '/dataset/file/:datasetid',
    { config: admin, schema: { hide: true, params: DatasetParams, response: { 200: DatasetFile } } },
    async (req, reply) => {
      const c = ctx(req, reply);
      const upload = await readUpload(req, { metadata: false });
      return toDatasetFile(await knowledge.files.uploadFile(c, req.params.datasetid, upload));
    },
  );

  app.get(
    '/dataset/file/:datasetid',
    {
      config: agentRun,
      schema: {
        hide: true,
        params: DatasetParams,
        querystring: Type.Object(PageParams),
        response: { 200: Type.Object({ ...PageFields, files: Type.Array(DatasetFile) }) },
      },
    },
    async (req, reply) => {
      const c = ctx(req, reply);
      const listing = `files:${req.params.datasetid}`;
      const step = cursors.step(listing, c.principal.workspaceId, req.query, {});
      const result = await knowledge.files.listFiles(c, req.params.datasetid, step.page);
      return {
        ...cursors.envelope(listing, c.principal.workspaceId, step, result),
        files: result.items.map(toDatasetFile),
      };
    },
  );

  app.delete(
    '/dataset/file/:fileid',
    {
      config: admin,
      schema: {
        hide: true,
        params: FileParams,
        response: {
          200: Type.Object({ id: Type.String(), deleted: Type.Boolean(), recordsDeleted: Type.Integer() }),
        },
      },
    },
    async (req, reply) => {
      const { recordsDeleted } = await knowledge.files.deleteFile(ctx(req, reply), req.params.fileid);
      return { id: req.params.fileid, deleted: true, recordsDeleted };
    },
  );

  app.get(
    '/dataset/file/:fileid/download',
    { config: agentRun, schema: { hide: true, params: FileParams } },
    async (req, reply) => {
      const { file, data } = await knowledge.files.readFile(ctx(req, reply), req.params.fileid);
      return reply
        .header('Content-Type', file.mimeType)
        .header('Content-Length', String(data.length))
        .header('Content-Disposition', contentDisposition(file.name))
        .header('X-Content-Type-Options', 'nosniff')
        .send(data);
    },
  );
}
