/**
 * The webhook bench's load generator, in a process of its own (`tsx bench/webhook-load.ts <url> <rate> <seconds>
 * <secret>`): signing and sending each delivery, and reading each answer, would otherwise share the API's event loop
 * and count as the API's latency. Deliveries go out evenly spaced (open loop, as the baseline's starts do), not in
 * bursts: a burst of a second's deliveries at once measures queueing, not intake. Prints its figures as one JSON line.
 */
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';
import { signGeneric } from '../lib/webhook-signature';

/** A delivery of its own id, signed as a sender would. */
export function signedDelivery(secret: string): { body: string; headers: Record<string, string> } {
  const id = randomUUID();
  const body = JSON.stringify({ id, at: Date.now() });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-delivery-id': id,
      ...signGeneric(secret, body, Math.floor(Date.now() / 1000)),
    },
  };
}

export interface LoadResult {
  accepted: number;
  sent: number;
  non2xx: number;
  errors: number;
  p50: number;
  p99: number;
}

async function offer(url: string, rate: number, seconds: number, secret: string): Promise<LoadResult> {
  const dispatcher = new Agent({ connections: 256, keepAliveTimeout: 30_000 });
  const latencies: number[] = [];
  const result = { accepted: 0, sent: 0, non2xx: 0, errors: 0 };
  const inFlight = new Set<Promise<void>>();
  const begin = Date.now();
  for (let i = 0; i < rate * seconds; i++) {
    const due = begin + (i * 1000) / rate;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    const { body, headers } = signedDelivery(secret);
    const t0 = performance.now();
    result.sent++;
    const sent = request(url, { method: 'POST', body, headers, dispatcher })
      .then(async (answer) => {
        await answer.body.dump();
        if (answer.statusCode >= 200 && answer.statusCode < 300) {
          result.accepted++;
          latencies.push(performance.now() - t0);
        } else result.non2xx++;
      })
      .catch(() => {
        result.errors++;
      });
    inFlight.add(sent);
    void sent.finally(() => inFlight.delete(sent));
  }
  await Promise.all(inFlight);
  await dispatcher.close();
  const sorted = latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    Number((sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN).toFixed(1));
  return { ...result, p50: pct(50), p99: pct(99) };
}

if (process.argv[1]?.endsWith('webhook-load.ts')) {
  const [url, rate, seconds, secret] = process.argv.slice(2);
  const figures = await offer(url!, Number(rate), Number(seconds), secret!);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}
