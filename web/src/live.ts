/**
 * Live updates over Server-Sent Events, read with fetch (EventSource cannot send the Authorization header,
 * and a key in the URL would end up in logs). Reconnects after a pause; `onChange` is called at most every
 * 200 ms however many changes arrive, so a busy run does not flood the page with reads.
 */
import { useEffect, useRef } from 'react';

export interface LiveChange {
  runId?: string;
  kind: string;
}

const RECONNECT_MS = 3000;
const COALESCE_MS = 200;

export function useLive(path: string | null, key: string, onChange: (changes: LiveChange[]) => void): void {
  const handler = useRef(onChange);
  handler.current = onChange;
  useEffect(() => {
    if (!path) return;
    const abort = new AbortController();
    let pending: LiveChange[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      timer = undefined;
      const changes = pending;
      pending = [];
      handler.current(changes);
    };
    const received = (change: LiveChange) => {
      pending.push(change);
      timer ??= setTimeout(flush, COALESCE_MS);
    };
    const connect = async () => {
      while (!abort.signal.aborted) {
        try {
          const response = await fetch(path, {
            headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' },
            signal: abort.signal,
          });
          if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
          // A reconnect may have missed changes: read again once.
          received({ kind: 'resync' });
          await readEvents(response.body, received);
        } catch {
          if (abort.signal.aborted) return;
        }
        await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
      }
    };
    void connect();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [path, key]);
}

async function readEvents(body: ReadableStream<Uint8Array>, received: (change: LiveChange) => void): Promise<void> {
  const reader = body
    .pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>)
    .getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trim())
        .join('\n');
      if (!data) continue;
      try {
        received(JSON.parse(data) as LiveChange);
      } catch {
        // Not an event of ours: ignored.
      }
    }
  }
}
