import { z } from 'zod';
import { uuid } from '../../http/common-schemas.ts';

export const backupParams = z
  .object({
    /** The Space's id. */
    spaceId: uuid.describe('the Space’s id'),
  })
  .strict();

/** One kept backup: its manifest (docs/backup-format.md), no key material. */
export const backupResponse = z.object({
  /** The backup's id: its UTC time and a random suffix. */
  id: z.string().describe('the backup’s id, e.g. 20261202T013000Z-1a2b3c4d'),
  /** The Space it holds. */
  spaceId: z.string().describe('the Space it holds'),
  /** The region whose backup location keeps it. */
  region: z.string().describe('the region whose backup location keeps it'),
  /** When the snapshot was taken (ISO 8601, UTC). */
  createdAt: z.string().describe('when the snapshot was taken (ISO 8601, UTC)'),
  /** Bytes of the encrypted file. */
  size: z.number().int().describe('bytes of the encrypted file'),
  /** SHA-256 of the encrypted file, hex. */
  sha256: z.string().describe('SHA-256 of the encrypted file, hex'),
  /** Rows per table. */
  rows: z.record(z.string(), z.number().int()).describe('rows per table'),
});

export const restoreParams = z
  .object({
    /** The Space's id. */
    spaceId: uuid.describe('the Space’s id'),
    /** The kept backup to restore. */
    backupId: z.string().max(64).describe('the backup’s id, as listed'),
  })
  .strict();

export const restoreBody = z
  .object({
    /** Restore into a new Space owned by the caller instead of in place. */
    asNew: z.boolean().optional().describe('restore into a new Space owned by the caller'),
    /** The new Space's name (as new only). */
    name: z.string().min(1).max(200).optional().describe('the new Space’s name (as new only)'),
  })
  .strict();

/** What a restore did. */
export const restoreResponse = z.object({
  /** The Space restored into: the same one, or the new one. */
  spaceId: z.string().describe('the Space restored into: the same, or the new one'),
  backupId: z.string().describe('the backup restored'),
  asNew: z.boolean().describe('whether a new Space was made'),
  rows: z.record(z.string(), z.number().int()).describe('rows restored per table'),
  /** Contacts the erasure ledger removed again. */
  erasedAgain: z.number().int().describe('contacts the erasure ledger removed again'),
});
