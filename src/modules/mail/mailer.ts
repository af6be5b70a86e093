import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A message to one user. Never carries customers' data (contacts). */
export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

/**
 * The configurable mail transport. The default writes each message as an
 * RFC 5322 file under `KITH_DATA/outbox/` for the operator's MTA (or a human) to pick up;
 * tests use `MemoryMailer`.
 */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

export class OutboxMailer implements Mailer {
  constructor(private readonly directory: string) {}

  async send(message: MailMessage): Promise<void> {
    await mkdir(this.directory, { recursive: true, mode: 0o700 });
    const id = randomUUID();
    const headers = [
      `Message-ID: <${id}@kith.local>`,
      `Date: ${new Date().toUTCString()}`,
      `To: ${message.to.replace(/[\r\n]/g, '')}`,
      `Subject: ${message.subject.replace(/[\r\n]/g, ' ')}`,
      'Content-Type: text/plain; charset=utf-8',
    ];
    await writeFile(
      join(this.directory, `${Date.now()}-${id}.eml`),
      `${headers.join('\r\n')}\r\n\r\n${message.text}\r\n`,
      {
        mode: 0o600,
      },
    );
  }
}

export class MemoryMailer implements Mailer {
  readonly sent: MailMessage[] = [];

  async send(message: MailMessage): Promise<void> {
    this.sent.push(message);
  }
}
