/** A real SMTP server on loopback that keeps what it receives and can refuse or delay on cue. */
import { type SMTPServer as Server, SMTPServer } from 'smtp-server';
import type { Gate } from './gate';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  messageId: string | undefined;
  subject: string | undefined;
}

export interface SmtpSink {
  url: string;
  messages: ReceivedMail[];
  /** The next `count` messages are refused with this SMTP code (421: try later; 550: never). */
  refuseNext(count: number, code: number): void;
  /**
   * How many client connections are open now (0 once a killed sender's sockets are gone and all it sent is counted).
   */
  openConnections(): Promise<number>;
  close(): Promise<void>;
}

/** With a `gate`, each message is kept as received and its answer waits for the gate. */
export async function startSmtpSink(gate?: Gate): Promise<SmtpSink> {
  const messages: ReceivedMail[] = [];
  let refusals: number[] = [];
  const server: Server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      stream.on('end', () => {
        const code = refusals.shift();
        if (code) {
          const error = Object.assign(new Error(code >= 500 ? 'mailbox unavailable' : 'try again later'), {
            responseCode: code,
          });
          return callback(error);
        }
        const header = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'im').exec(raw)?.[1]?.trim();
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          messageId: header('Message-ID'),
          subject: header('Subject'),
        });
        if (gate) void gate.pass().then(() => callback());
        else callback();
      });
    },
  });
  // A sender that died while its answer was held leaves a broken socket behind: not the sink's problem.
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    refuseNext: (count, code) => {
      refusals = [...refusals, ...Array.from({ length: count }, () => code)];
    },
    openConnections: () =>
      new Promise((resolve, reject) =>
        server.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      ),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
