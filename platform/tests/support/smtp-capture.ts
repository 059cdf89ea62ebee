import net from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface CapturedMail {
  to: string[];
  raw: string;
}

/**
 * A real SMTP server on 127.0.0.1 that keeps what it receives (the stand-in for a mail provider,
 * which tests cannot reach). `stop()` and `start()` again on the same port simulate an outage;
 * `hold()` keeps every message's DATA unanswered until the returned release is called.
 */
export async function startSmtpCapture() {
  const received: CapturedMail[] = [];
  let server: SMTPServer | null = null;
  let port = 0;
  let holding: Promise<void> | null = null;

  const start = async () => {
    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, callback) {
        let raw = '';
        stream.on('data', (chunk) => (raw += chunk.toString()));
        stream.on('end', async () => {
          await holding;
          received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(port, '127.0.0.1', resolve));
    port = (smtp.server.address() as net.AddressInfo).port;
    server = smtp;
  };
  await start();

  return {
    received,
    get port() {
      return port;
    },
    /** Environment for createTestEnvironment: deliver to this server. */
    get env() {
      return { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(port), SMTP_IGNORE_TLS: 'true' };
    },
    to: (address: string) => received.filter((mail) => mail.to.includes(address)),
    start,
    stop: () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())),
    hold(): () => void {
      let release!: () => void;
      holding = new Promise<void>((resolve) => (release = resolve));
      return () => {
        holding = null;
        release();
      };
    },
  };
}

export type SmtpCapture = Awaited<ReturnType<typeof startSmtpCapture>>;
