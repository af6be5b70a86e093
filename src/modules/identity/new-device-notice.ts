import type { Mailer } from '../mail/mailer.ts';
import type { AccountRow } from './account.repository.ts';

/**
 * Tells an account holder that their account was used from a device it had not
 * used before (SPEC 4.1), so that a stolen password shows. A mail that cannot be
 * sent must not lock the user out: the failure is swallowed, the login stands.
 */
export async function sendNewDeviceNotice(
  mailer: Mailer,
  login: {
    account: Pick<AccountRow, 'email' | 'name'>;
    device: string | null;
    ip: string | null;
    at: Date;
  },
): Promise<boolean> {
  const text = [
    `Hello ${login.account.name},`,
    '',
    `Your Kith account (${login.account.email}) was just used to log in from a device it had not used before:`,
    '',
    `  Device: ${login.device ?? 'unknown (the client sent no user agent)'}`,
    `  IP address: ${login.ip ?? 'unknown'}`,
    `  Time: ${login.at.toISOString()} (UTC)`,
    '',
    'If this was you, there is nothing to do.',
    'If it was not, someone knows your password: ask the operator of this Kith installation',
    'to disable your account (that ends every session) and to give you a new password.',
  ].join('\n');
  try {
    await mailer.send({
      to: login.account.email,
      subject: 'Kith: new login from an unknown device',
      text,
    });
    return true;
  } catch {
    return false;
  }
}
