/** A local HTTP target on loopback that records what it receives and answers as told. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Gate } from './gate';

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface HttpTarget {
  url: string;
  received: Received[];
  /** Sets the answer for a path: status and JSON body. */
  answer(path: string, status: number, body: unknown): void;
  /**
   * How many client connections are open now (0 once a killed sender's sockets are gone and all it sent is counted).
   */
  openConnections(): Promise<number>;
  close(): Promise<void>;
}

/**
 * `respond` may answer a request itself (return undefined to fall back to the answers set with `answer`).
 * With a `gate`, each request is kept as received and its answer waits for the gate.
 */
export async function startHttpTarget(
  respond?: (request: Received) => { status: number; body: unknown } | undefined,
  gate?: Gate,
): Promise<HttpTarget> {
  const received: Received[] = [];
  const answers = new Map<string, { status: number; body: unknown }>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      received.push(request);
      const answer = respond?.(request) ??
        answers.get((req.url ?? '').split('?')[0] ?? '') ?? { status: 200, body: { ok: true } };
      const reply = () => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      };
      if (gate) void gate.pass().then(reply);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    answer: (path, status, body) => answers.set(path, { status, body }),
    openConnections: () =>
      new Promise((resolve, reject) =>
        server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      ),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
