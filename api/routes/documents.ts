/**
 * Stored documents: `POST /api/documents` takes the file as the raw request
 * body (its Content-Type is kept, `?filename=` names it), and an email node
 * attaches it by `documentId`. `GET /api/documents[/:id]` lists and describes,
 * `GET /api/documents/:id/content` returns the bytes, `DELETE` removes one
 * (the uploader's own, or any as admin). Who may upload is api/permissions.ts's to say.
 */
import { createHash } from 'node:crypto';
import { and, desc, eq, getTableColumns } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { documents } from '../../db/schema';
import { callerOf } from '../auth';
import { badRequest, forbidden, notFound } from '../errors';
import { answer, noContent, withProblems } from '../schemas/problem';
import { DocumentInfo } from '../schemas/resources';

/** The largest document kept (and so the largest attachment by id): 10 MiB. */
export const DOCUMENT_LIMIT_BYTES = 10 * 1024 * 1024;

const { content: _content, ...described } = getTableColumns(documents);
type DocumentRow = Omit<typeof documents.$inferSelect, 'content'>;

const view = (row: DocumentRow) => ({
  id: row.id,
  filename: row.filename,
  contentType: row.contentType,
  size: row.size,
  sha256: row.sha256,
  createdBy: row.createdBy,
  createdAt: row.createdAt.toISOString(),
});

const IdParams = z.object({ id: z.uuid() });
/** No path separators or control characters: the name travels into mail headers and downloads. */
const Filename = z
  .string()
  .min(1)
  .max(255)
  .refine(
    (name) => ![...name].some((c) => c === '/' || c === '\\' || c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f),
    'a file name, without / \\ or control characters',
  );

export const documentRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db } = app.database;
  // Any content type is taken as it is: the document is the body.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: DOCUMENT_LIMIT_BYTES }, (_req, body, done) =>
    done(null, body),
  );

  app.post(
    '/api/documents',
    {
      bodyLimit: DOCUMENT_LIMIT_BYTES,
      schema: {
        operationId: 'uploadDocument',
        summary: 'Store a document (the raw body, any Content-Type)',
        tags: ['documents'],
        querystring: z.object({ filename: Filename }),
        consumes: ['application/octet-stream', 'application/pdf', 'text/plain', '*/*'],
        response: withProblems({ 201: answer('The document, stored', DocumentInfo) }, [413]),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const content = request.body;
      if (!Buffer.isBuffer(content) || content.length === 0) {
        throw badRequest(
          'Send the document as the request body (any Content-Type), e.g. curl --data-binary @report.pdf -H "content-type: application/pdf" ".../api/documents?filename=report.pdf".',
          [{ path: 'body', message: 'empty' }],
        );
      }
      const contentType =
        (request.headers['content-type'] ?? 'application/octet-stream').split(';')[0]!.trim() ||
        'application/octet-stream';
      const row = (
        await db
          .insert(documents)
          .values({
            tenantId: caller.tenantId,
            filename: request.query.filename,
            contentType,
            size: content.length,
            sha256: createHash('sha256').update(content).digest('hex'),
            content,
            createdBy: caller.userId,
          })
          .returning(described)
      )[0]!;
      return reply.code(201).send(view(row));
    },
  );

  app.get(
    '/api/documents',
    {
      schema: {
        operationId: 'listDocuments',
        summary: 'List stored documents, newest first (at most 200)',
        tags: ['documents'],
        response: withProblems({
          200: answer(
            'The documents',
            z.strictObject({ items: z.array(DocumentInfo), nextCursor: z.null() }).meta({ id: 'DocumentPage' }),
          ),
        }),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const rows = await db
        .select(described)
        .from(documents)
        .where(eq(documents.tenantId, caller.tenantId))
        .orderBy(desc(documents.createdAt))
        .limit(200);
      return { items: rows.map(view), nextCursor: null };
    },
  );

  app.get(
    '/api/documents/:id',
    {
      schema: {
        operationId: 'getDocument',
        summary: 'Describe a stored document',
        tags: ['documents'],
        params: IdParams,
        response: withProblems({ 200: answer('The document', DocumentInfo) }, [404]),
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const row = (
        await db
          .select(described)
          .from(documents)
          .where(and(eq(documents.id, request.params.id), eq(documents.tenantId, caller.tenantId)))
          .limit(1)
      )[0];
      if (!row) throw notFound('Document', request.params.id);
      return view(row);
    },
  );

  app.get(
    '/api/documents/:id/content',
    {
      schema: {
        operationId: 'getDocumentContent',
        summary: "Download a stored document's bytes",
        tags: ['documents'],
        params: IdParams,
        produces: ['application/octet-stream'],
        response: withProblems(
          {
            200: answer(
              'The bytes, with the Content-Type they were stored with',
              z.string().meta({ format: 'binary' }),
              '*/*',
            ),
          },
          [404],
        ),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const row = (
        await db
          .select()
          .from(documents)
          .where(and(eq(documents.id, request.params.id), eq(documents.tenantId, caller.tenantId)))
          .limit(1)
      )[0];
      if (!row) throw notFound('Document', request.params.id);
      return reply
        .header('content-type', row.contentType)
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(row.filename)}`)
        .send(row.content);
    },
  );

  app.delete(
    '/api/documents/:id',
    {
      schema: {
        operationId: 'deleteDocument',
        summary: "Delete a stored document (the uploader's own, or any as admin)",
        tags: ['documents'],
        params: IdParams,
        response: withProblems({ 204: noContent('Deleted') }, [404]),
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      // The matrix lets operators and editors delete; which document is the resource's own rule: the uploader's, unless
      // admin.
      const mine = caller.roles.includes('admin') ? undefined : eq(documents.createdBy, caller.userId);
      const deleted = await db
        .delete(documents)
        .where(and(eq(documents.id, request.params.id), eq(documents.tenantId, caller.tenantId), mine))
        .returning({ id: documents.id });
      if (!deleted.length) {
        const exists =
          (
            await db
              .select({ id: documents.id })
              .from(documents)
              .where(and(eq(documents.id, request.params.id), eq(documents.tenantId, caller.tenantId)))
              .limit(1)
          ).length > 0;
        if (exists) throw forbidden('Only the user who uploaded this document, or an admin, may delete it.');
        throw notFound('Document', request.params.id);
      }
      return reply.code(204).send();
    },
  );
};
