/**
 * Persisted contract: the encrypted envelope of a backup file, versions 1 and 2
 * (docs/backup-format.md). The envelope is the same in both; the header's
 * version names the plaintext inside (backup-records.ts), so a Kith that only
 * reads version 1 refuses a version 2 file at its header. Changing anything
 * here makes existing backups unreadable: add a version instead.
 *
 *   "KITHBAK1" ‖ u32 header length ‖ header (JSON, UTF-8)
 *   then chunks: u8 flags (1 = final) ‖ u32 ciphertext length ‖ ciphertext ‖ tag (16)
 *
 * Chunk i is AES-256-GCM under HKDF-SHA256(data key, header.salt,
 * "kith-backup-v1" ‖ 0 ‖ spaceId ‖ 0 ‖ backupId), nonce = 4 zero bytes ‖ u64 i,
 * associated data = SHA-256(magic ‖ header) ‖ u64 i ‖ flags. The header names the
 * Space and the backup, so a chunk moved to another position, file or Space does
 * not authenticate; the final flag is authenticated, so a truncated file is detected.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../../errors.ts';

export const backupMagic = Buffer.from('KITHBAK1', 'ascii');
export const backupFormatVersion = 2;
/** Header versions still read: 1 (NDJSON rows), 2 (COPY text rows). */
const readableFormatVersions: readonly number[] = [1, 2];
/** Version 1 wrote 256 KiB chunks; version 2 writes 1 MiB (fewer, larger GCM calls). */
export const defaultChunkBytes = 1024 * 1024;
const maxChunkBytes = 16 * 1024 * 1024;
const maxHeaderBytes = 64 * 1024;
const tagBytes = 16;
const finalFlag = 1;

/** The clear header of a backup file: who it belongs to and how to derive its key. */
export interface BackupHeader {
  readonly format: 'kith-backup';
  readonly version: number;
  readonly spaceId: string;
  readonly backupId: string;
  readonly region: string;
  readonly createdAt: string;
  /** 32 random bytes, hex: makes every backup's file key unique. */
  readonly salt: string;
  readonly chunkBytes: number;
  readonly compression: 'gzip';
  readonly cipher: 'aes-256-gcm';
}

function fileKey(dataKey: Buffer, header: BackupHeader): Buffer {
  const info = Buffer.from(`kith-backup-v1\0${header.spaceId}\0${header.backupId}`, 'utf8');
  return Buffer.from(hkdfSync('sha256', dataKey, Buffer.from(header.salt, 'hex'), info, 32));
}

function nonceOf(index: bigint): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(index, 4);
  return nonce;
}

function associatedData(headerDigest: Buffer, index: bigint, flags: number): Buffer {
  const tail = Buffer.alloc(9);
  tail.writeBigUInt64BE(index, 0);
  tail[8] = flags;
  return Buffer.concat([headerDigest, tail]);
}

function encodeHeader(header: BackupHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return Buffer.concat([backupMagic, length, json]);
}

/** Plaintext in, the encrypted file out (header first, then chunks, the last one final). */
export class BackupEncryptor extends Transform {
  private readonly key: Buffer;
  private readonly headerDigest: Buffer;
  private readonly encodedHeader: Buffer;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private index = 0n;
  private headerWritten = false;

  constructor(
    dataKey: Buffer,
    private readonly header: BackupHeader,
  ) {
    super();
    this.key = fileKey(dataKey, header);
    this.encodedHeader = encodeHeader(header);
    this.headerDigest = createHash('sha256').update(this.encodedHeader).digest();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.writeHeader();
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    while (this.pendingBytes >= this.header.chunkBytes + 1) {
      // Keep at least one byte back: the last chunk must be the final one.
      const all = Buffer.concat(this.pending);
      this.push(this.seal(all.subarray(0, this.header.chunkBytes), 0));
      const rest = all.subarray(this.header.chunkBytes);
      this.pending = [rest];
      this.pendingBytes = rest.length;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    this.writeHeader();
    this.push(this.seal(Buffer.concat(this.pending), finalFlag));
    this.pending = [];
    done();
  }

  private writeHeader(): void {
    if (!this.headerWritten) {
      this.headerWritten = true;
      this.push(this.encodedHeader);
    }
  }

  private seal(plain: Buffer, flags: number): Buffer {
    const cipher = createCipheriv('aes-256-gcm', this.key, nonceOf(this.index));
    cipher.setAAD(associatedData(this.headerDigest, this.index, flags));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const prefix = Buffer.alloc(5);
    prefix[0] = flags;
    prefix.writeUInt32BE(body.length, 1);
    this.index += 1n;
    return Buffer.concat([prefix, body, cipher.getAuthTag()]);
  }
}

/**
 * The encrypted file in, plaintext out. Every chunk is authenticated before its
 * bytes go on; a missing final chunk or bytes after it is an integrity failure.
 * `keyFor` is asked for the data key once the header names the Space.
 */
export class BackupDecryptor extends Transform {
  private buffered: Buffer = Buffer.alloc(0);
  private header: BackupHeader | undefined;
  private key: Buffer | undefined;
  private headerDigest: Buffer | undefined;
  private index = 0n;
  private finished = false;

  constructor(
    private readonly label: string,
    private readonly keyFor: (header: BackupHeader) => Buffer,
  ) {
    super();
  }

  /** The header, once read. */
  get backupHeader(): BackupHeader | undefined {
    return this.header;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
      this.drain();
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    if (!this.finished) {
      done(this.failure('the file is truncated (no final chunk)'));
      return;
    }
    done();
  }

  private drain(): void {
    if (!this.header && !this.readHeader()) {
      return;
    }
    for (;;) {
      if (this.finished) {
        if (this.buffered.length > 0) {
          throw this.failure('bytes follow the final chunk');
        }
        return;
      }
      if (this.buffered.length < 5) {
        return;
      }
      const flags = this.buffered[0] ?? 0;
      const length = this.buffered.readUInt32BE(1);
      if (length > maxChunkBytes || (flags & ~finalFlag) !== 0) {
        throw this.failure(`chunk ${this.index} has a malformed frame`);
      }
      if (this.buffered.length < 5 + length + tagBytes) {
        return;
      }
      const body = this.buffered.subarray(5, 5 + length);
      const tag = this.buffered.subarray(5 + length, 5 + length + tagBytes);
      this.push(this.open(body, tag, flags));
      this.buffered = this.buffered.subarray(5 + length + tagBytes);
      this.finished = flags === finalFlag;
    }
  }

  private readHeader(): boolean {
    if (this.buffered.length < 12) {
      return false;
    }
    if (!this.buffered.subarray(0, 8).equals(backupMagic)) {
      throw this.failure('not a Kith backup file (bad magic)');
    }
    const length = this.buffered.readUInt32BE(8);
    if (length > maxHeaderBytes) {
      throw this.failure('the header is malformed');
    }
    if (this.buffered.length < 12 + length) {
      return false;
    }
    const encoded = this.buffered.subarray(0, 12 + length);
    let header: BackupHeader;
    try {
      header = JSON.parse(encoded.subarray(12).toString('utf8')) as BackupHeader;
    } catch {
      throw this.failure('the header is not JSON');
    }
    if (header.format !== 'kith-backup' || !readableFormatVersions.includes(header.version)) {
      throw this.failure(`unsupported backup format version ${String(header.version)}`);
    }
    this.header = header;
    this.headerDigest = createHash('sha256').update(encoded).digest();
    this.key = fileKey(this.keyFor(header), header);
    this.buffered = this.buffered.subarray(12 + length);
    return true;
  }

  private open(body: Buffer, tag: Buffer, flags: number): Buffer {
    const decipher = createDecipheriv('aes-256-gcm', this.key as Buffer, nonceOf(this.index));
    decipher.setAAD(associatedData(this.headerDigest as Buffer, this.index, flags));
    decipher.setAuthTag(tag);
    try {
      const plain = Buffer.concat([decipher.update(body), decipher.final()]);
      this.index += 1n;
      return plain;
    } catch {
      throw this.failure(
        `chunk ${this.index} does not authenticate (the file was altered, or the data key is not this Space's)`,
      );
    }
  }

  private failure(reason: string): AppError {
    return new AppError('integrity_failure', `backup ${this.label}: ${reason}`);
  }
}
