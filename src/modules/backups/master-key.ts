import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { AppError } from '../../errors.ts';

/**
 * A region's master key (key-encryption key): it wraps and unwraps the Spaces'
 * data keys and nothing else. The key file is the default; a KMS (AWS KMS,
 * Vault transit, …) implements the same two calls, so the key never has to
 * leave it. `context` is bound to the wrapped key (the Space id): a wrapped key
 * copied to another Space does not unwrap.
 */
export interface KeyEncryptionKey {
  /** Stable id of this key, stored beside every key it wraps. */
  readonly keyId: string;
  wrap(dataKey: Buffer, context: string): Promise<Buffer>;
  unwrap(wrapped: Buffer, context: string): Promise<Buffer>;
}

const wrapVersion = 1;
const nonceBytes = 12;
const tagBytes = 16;

/** The id of a raw master key: 16 hex characters of SHA-256 over a label and the key. */
export function masterKeyId(key: Buffer): string {
  return createHash('sha256').update('kith-master-key-id\0').update(key).digest('hex').slice(0, 16);
}

/**
 * A master key held in memory (read from its file or the environment). Wrapping
 * is AES-256-GCM: `version(1) ‖ nonce(12) ‖ ciphertext ‖ tag(16)`, with the
 * version, the key id and the context as associated data.
 */
export class LocalKeyEncryptionKey implements KeyEncryptionKey {
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) {
      throw new AppError('invalid_input', 'a master key is 32 bytes (base64 of 32 random bytes)');
    }
    this.keyId = masterKeyId(key);
  }

  async wrap(dataKey: Buffer, context: string): Promise<Buffer> {
    const nonce = randomBytes(nonceBytes);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(this.associatedData(context));
    const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return Buffer.concat([Buffer.from([wrapVersion]), nonce, body, cipher.getAuthTag()]);
  }

  async unwrap(wrapped: Buffer, context: string): Promise<Buffer> {
    if (wrapped.length < 1 + nonceBytes + tagBytes + 1 || wrapped[0] !== wrapVersion) {
      throw new AppError('integrity_failure', 'a wrapped data key is malformed');
    }
    const nonce = wrapped.subarray(1, 1 + nonceBytes);
    const body = wrapped.subarray(1 + nonceBytes, wrapped.length - tagBytes);
    const decipher = createDecipheriv('aes-256-gcm', this.key, nonce);
    decipher.setAAD(this.associatedData(context));
    decipher.setAuthTag(wrapped.subarray(wrapped.length - tagBytes));
    try {
      return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      throw new AppError(
        'integrity_failure',
        `the data key of ${context} does not unwrap with master key ${this.keyId}: wrong master key, or the wrapped key was altered`,
      );
    }
  }

  private associatedData(context: string): Buffer {
    return Buffer.from(`kith-data-key-v${wrapVersion}\0${this.keyId}\0${context}`, 'utf8');
  }
}
