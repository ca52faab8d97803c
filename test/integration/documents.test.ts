/**
 * Stored documents and email attachments: a document uploaded through the
 * API and a file fetched by URL both arrive at a real SMTP server as
 * attachments; a missing document fails the send clearly, by the error edge.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, settled } from '../harness';
import { type SmtpSink, startSmtpSink } from '../support/smtp-sink';

let h: Harness;
let smtp: SmtpSink;
let files: Server;
let filesUrl: string;
const INVOICE = Buffer.from('%PDF-1.4 a tiny invoice\n', 'utf8');

beforeAll(async () => {
  smtp = await startSmtpSink();
  files = createServer((req, res) => {
    if (req.url === '/files/invoice.pdf') {
      res.writeHead(200, { 'content-type': 'application/pdf' });
      res.end(INVOICE);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as { port: number }).port}`;
  h = await createHarness({ SMTP_URL: smtp.url });
});
afterAll(async () => {
  await h?.close();
  await smtp?.close();
  await new Promise((resolve) => files?.close(resolve));
});

const upload = (key: string, body: Buffer | string, query: string, contentType = 'text/plain') =>
  h.api(key, {
    method: 'POST',
    url: `/api/documents${query}`,
    payload: body,
    headers: { 'content-type': contentType },
  });

describe('documents', () => {
  it('are stored as sent, described, returned byte for byte, and kept to their tenant', async () => {
    const created = await upload(h.tenant.adminKey, '{"not":"parsed"}', '?filename=report.json', 'application/json');
    expect(created.statusCode, created.body).toBe(201);
    const document = created.json();
    expect(document).toMatchObject({
      filename: 'report.json',
      contentType: 'application/json',
      size: 16,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect((await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/documents/${document.id}` })).json()).toEqual(
      document,
    );
    const content = await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/documents/${document.id}/content` });
    expect(content.headers['content-type']).toBe('application/json');
    expect(content.body).toBe('{"not":"parsed"}');
    expect(
      (await h.api(h.tenant.adminKey, { method: 'GET', url: '/api/documents' }))
        .json()
        .items.map((d: { id: string }) => d.id),
    ).toContain(document.id);

    const other = await h.newTenant();
    expect((await h.api(other.adminKey, { method: 'GET', url: `/api/documents/${document.id}` })).statusCode).toBe(404);
    expect((await h.api(other.adminKey, { method: 'DELETE', url: `/api/documents/${document.id}` })).statusCode).toBe(
      404,
    );
    expect(
      (await h.api(h.tenant.adminKey, { method: 'DELETE', url: `/api/documents/${document.id}` })).statusCode,
    ).toBe(204);
    expect(
      (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/documents/${document.id}/content` })).statusCode,
    ).toBe(404);
  });

  it('refuses an upload without a body, without a file name, or with a path for a name', async () => {
    for (const [body, query, problem] of [
      ['', '?filename=empty.txt', 'body'],
      ['text', '', 'querystring'],
      ['text', '?filename=..%2Fetc%2Fpasswd', 'querystring'],
    ] as const) {
      const res = await upload(h.tenant.adminKey, body, query);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(JSON.stringify(res.json().errors)).toContain(problem);
    }
  });
});

describe('email attachments', () => {
  async function sendWith(attachments: unknown, input: Record<string, unknown>) {
    const definition = {
      nodes: [
        { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
        {
          id: 'mail',
          type: 'integration',
          data: {
            provider: 'email',
            to: ['finance@example.com'],
            subject: 'Invoice {{ input.n }}',
            text: 'Attached.',
            attachments,
            retry: { maximumAttempts: 2, initialInterval: '100ms' },
          },
        },
        { id: 'ok', type: 'end', data: { output: { attached: '{{ nodes.mail.output.attachments }}' } } },
        { id: 'failed', type: 'end', data: { output: { error: '{{ nodes.mail.error.message }}' } } },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'mail' },
        { id: 'e2', source: 'mail', target: 'ok' },
        { id: 'e3', source: 'mail', sourceHandle: 'error', target: 'failed' },
      ],
    };
    const id = (
      await h.api(h.tenant.adminKey, {
        method: 'POST',
        url: '/api/workflows',
        payload: { name: `Attach ${input.n}`, definition },
      })
    ).json().id;
    const published = await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/publish` });
    expect(published.statusCode, published.body).toBe(201);
    const runId = (
      await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/runs`, payload: { input } })
    ).json().runId;
    await settled(h, runId);
    return (await h.api(h.tenant.adminKey, { method: 'GET', url: `/api/runs/${runId}` })).json();
  }

  it('attach a stored document and a file fetched by URL, each with its name, type and bytes', async () => {
    const report = (await upload(h.tenant.adminKey, 'quarterly numbers', '?filename=report.txt')).json();
    const run = await sendWith([{ documentId: '{{ input.doc }}' }, { url: `${filesUrl}/files/invoice.pdf` }], {
      n: 1,
      doc: report.id,
    });
    expect(run.output).toEqual({
      attached: [
        { filename: 'report.txt', size: 17 },
        { filename: 'invoice.pdf', size: INVOICE.length },
      ],
    });
    const mail = smtp.messages.find((m) => m.subject === 'Invoice 1')!;
    const raw = mail.raw.replace(/\r\n/g, '\n');
    expect(raw).toMatch(
      /Content-Type: text\/plain; name=report\.txt\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=report\.txt\n\ncXVhcnRlcmx5IG51bWJlcnM=/,
    );
    expect(raw).toContain('Content-Type: application/pdf; name=invoice.pdf');
    expect(raw).toContain(INVOICE.toString('base64'));
    expect(run.notifications).toEqual([expect.objectContaining({ channel: 'email', status: 'sent' })]);
  });

  it('a missing document or an unreachable file fails the send by its error edge, saying which, and sends nothing', async () => {
    const before = smtp.messages.length;
    const missing = await sendWith([{ documentId: '00000000-0000-4000-8000-000000000000' }], { n: 2 });
    expect(missing.output.error).toContain('document "00000000-0000-4000-8000-000000000000" was not found');
    expect(missing.notifications).toEqual([
      expect.objectContaining({ status: 'failed', error: expect.stringContaining('was not found') }),
    ]);
    const gone = await sendWith([{ url: `${filesUrl}/files/gone.pdf` }], { n: 3 });
    expect(gone.output.error).toContain('answered 404');
    expect(smtp.messages.length).toBe(before);
  });

  it('are checked at publish: each needs a documentId or a url', async () => {
    const definition = {
      nodes: [
        { id: 't', type: 'trigger', data: { trigger: { type: 'manual' } } },
        {
          id: 'mail',
          type: 'integration',
          data: {
            provider: 'email',
            to: ['a@example.com'],
            subject: 's',
            text: 't',
            attachments: [{ filename: 'x.txt' }],
          },
        },
        { id: 'e', type: 'end', data: {} },
      ],
      edges: [
        { id: 'e1', source: 't', target: 'mail' },
        { id: 'e2', source: 'mail', target: 'e' },
      ],
    };
    const id = (
      await h.api(h.tenant.adminKey, {
        method: 'POST',
        url: '/api/workflows',
        payload: { name: 'Bad attachment', definition },
      })
    ).json().id;
    const published = await h.api(h.tenant.adminKey, { method: 'POST', url: `/api/workflows/${id}/publish` });
    expect(published.statusCode).toBe(422);
    expect(JSON.stringify(published.json().errors)).toContain('attachments');
  });
});
