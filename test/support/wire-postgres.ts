/**
 * An embedded PostgreSQL (PGlite) served over PostgreSQL's wire protocol on
 * loopback, so a worker in another process can share the test's database.
 *
 * PGlite is one backend. Several connections can share it safely only if
 * nothing of one connection's exchange runs inside another's: so a connection
 * owns the backend from its first message until PostgreSQL says it is idle
 * again (ReadyForQuery "I"), which covers an extended-protocol exchange
 * (Parse … Sync) and a whole transaction. A connection that drops while it
 * owns the backend has its exchange closed and its transaction rolled back.
 */
import { createServer, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const SYNC = Uint8Array.from([0x53, 0, 0, 0, 4]);

/**
 * The status of the last ReadyForQuery in a reply ("I" idle, "T" in a transaction, "E" in a failed one), if it has one.
 */
function readyStatus(reply: Uint8Array): string | undefined {
  const view = Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength);
  let status: string | undefined;
  for (let at = 0; at + 5 <= view.length; at += 1 + view.readInt32BE(at + 1)) {
    if (view[at] === 0x5a) status = String.fromCharCode(view[at + 5]!);
  }
  return status;
}

export async function serveOverWire(db: PGlite): Promise<{ url: string; close(): Promise<void> }> {
  let owner: Socket | undefined;
  let waiting: Array<() => void> = [];
  const acquire = async (socket: Socket) => {
    while (owner && owner !== socket) await new Promise<void>((resolve) => waiting.push(resolve));
    owner = socket;
  };
  const release = (socket: Socket) => {
    if (owner !== socket) return;
    owner = undefined;
    const wake = waiting;
    waiting = [];
    for (const go of wake) go();
  };

  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    let buffer = Buffer.alloc(0);
    let started = false;
    let closed = false;
    let status = 'I';
    let chain = Promise.resolve();

    const run = async (message: Uint8Array) => {
      await acquire(socket);
      const reply = await db.execProtocolRaw(message);
      status = readyStatus(reply) ?? 'busy';
      if (!closed) socket.write(reply);
      if (status === 'I') release(socket);
    };
    const drain = async () => {
      for (;;) {
        if (!started) {
          if (buffer.length < 8) return;
          const length = buffer.readInt32BE(0);
          const code = buffer.readInt32BE(4);
          if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
            buffer = buffer.subarray(8);
            socket.write('N');
            continue;
          }
          if (buffer.length < length) return;
          const startup = buffer.subarray(0, length);
          buffer = buffer.subarray(length);
          started = true;
          await run(startup);
          continue;
        }
        if (buffer.length < 5) return;
        const length = 1 + buffer.readInt32BE(1);
        if (buffer.length < length) return;
        const message = buffer.subarray(0, length);
        buffer = buffer.subarray(length);
        // Terminate: the backend is shared, so it is the socket that ends.
        if (message[0] === 0x58) {
          socket.end();
          return;
        }
        await run(message);
      }
    };
    const cleanUp = async () => {
      if (owner !== socket) return;
      if (status === 'busy') status = readyStatus(await db.execProtocolRaw(SYNC)) ?? 'I';
      if (status !== 'I') await db.exec('ROLLBACK');
      release(socket);
    };
    const after = (step: () => Promise<void>) => {
      chain = chain.then(step).catch(() => {
        socket.destroy();
      });
    };
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      after(drain);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      closed = true;
      sockets.delete(socket);
      after(cleanUp);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
