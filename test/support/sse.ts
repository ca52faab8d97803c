/**
 * A Server-Sent Events reader for tests: opens a stream with a key over real HTTP (inject would wait forever
 * for an endless answer) and collects its blocks (events and comments) as they arrive.
 */
export interface SseStream {
  status: number;
  contentType: string | null;
  /** Every block received so far (`event: change\ndata: {…}` or `: heartbeat`). */
  blocks: string[];
  /** The parsed `data` of each `change` event so far. */
  changes(): Array<{ runId?: string; kind: string }>;
  /** Waits until a block matching `predicate` has arrived (the test's timeout bounds it). */
  waitFor(predicate: (block: string) => boolean): Promise<string>;
  close(): void;
  /** The body as text, for a stream the server refused. */
  text(): Promise<string>;
}

export async function openSse(baseUrl: string, path: string, key: string | undefined): Promise<SseStream> {
  const abort = new AbortController();
  const response = await fetch(`${baseUrl}${path}`, {
    headers: { accept: 'text/event-stream', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    signal: abort.signal,
  });
  const blocks: string[] = [];
  const waiters: Array<() => void> = [];
  let consumed = false;
  const pump = async () => {
    consumed = true;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          blocks.push(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
        waiters.splice(0).forEach((wake) => wake());
      }
    } catch {
      // Aborted by close().
    }
  };
  if (response.ok) void pump();
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    blocks,
    changes: () =>
      blocks
        .filter((b) => b.startsWith('event: change'))
        .map(
          (b) =>
            JSON.parse(
              b
                .split('\n')
                .find((l) => l.startsWith('data: '))!
                .slice(6),
            ) as { runId?: string; kind: string },
        ),
    async waitFor(predicate) {
      for (;;) {
        const found = blocks.find(predicate);
        if (found !== undefined) return found;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    close: () => abort.abort(),
    text: () => (consumed ? Promise.resolve('') : response.text()),
  };
}
