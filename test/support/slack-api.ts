/** A small HTTP server on loopback speaking Slack's Web API (`chat.postMessage`), as @slack/web-api calls it. */
import { createServer } from 'node:http';
import type { Gate } from './gate';

export interface SlackPost {
  channel: string;
  text: string;
  blocks: unknown;
  token: string | undefined;
  at: number;
}

export interface SlackApi {
  /** The base URL to give as SLACK_API_URL. */
  url: string;
  posts: SlackPost[];
  /** The next `count` calls (after letting `after` calls through) answer 429 with Retry-After. */
  rateLimitNext(count: number, retryAfterSeconds: number, after?: number): void;
  /** The next call answers `{ ok: false, error }`, as Slack does for a bad channel. */
  refuseNext(error: string): void;
  /**
   * How many client connections are open now (0 once a killed sender's sockets are gone and all it sent is counted).
   */
  openConnections(): Promise<number>;
  close(): Promise<void>;
}

/** With a `gate`, each post is kept as received and its answer waits for the gate. */
export async function startSlackApi(gate?: Gate): Promise<SlackApi> {
  const posts: SlackPost[] = [];
  let limited: Array<number | undefined> = [];
  let refusal: string | undefined;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (!req.url?.endsWith('/chat.postMessage')) {
        res.end(JSON.stringify({ ok: false, error: 'unknown_method' }));
        return;
      }
      const retryAfter = limited.shift();
      if (retryAfter !== undefined) {
        res.writeHead(429, { 'retry-after': String(retryAfter) });
        res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
        return;
      }
      if (refusal) {
        const error = refusal;
        refusal = undefined;
        res.end(JSON.stringify({ ok: false, error }));
        return;
      }
      const fields: Record<string, string> = (req.headers['content-type'] ?? '').includes('json')
        ? (JSON.parse(body) as Record<string, string>)
        : Object.fromEntries(new URLSearchParams(body));
      const token = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '') || fields.token;
      const blocks = typeof fields.blocks === 'string' ? (JSON.parse(fields.blocks) as unknown) : fields.blocks;
      posts.push({ channel: fields.channel ?? '', text: fields.text ?? '', blocks, token, at: Date.now() });
      const answer = JSON.stringify({ ok: true, channel: fields.channel, ts: `${Date.now() / 1000}` });
      if (gate) void gate.pass().then(() => res.end(answer));
      else res.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/api/`,
    posts,
    rateLimitNext: (count, seconds, after = 0) => {
      limited = [
        ...limited,
        ...Array.from({ length: after }, () => undefined),
        ...Array.from({ length: count }, () => seconds),
      ];
    },
    refuseNext: (error) => {
      refusal = error;
    },
    openConnections: () =>
      new Promise((resolve, reject) =>
        server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      ),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
