import { z } from 'zod';
import { uuid } from '../../http/common-schemas.ts';
import { exportFormats } from './export-formats.ts';

export const exportSpaceParams = z
  .object({
    /** The Space's id. */
    spaceId: uuid.describe('the Space’s id'),
  })
  .strict();

export const exportParams = z
  .object({
    /** The Space's id. */
    spaceId: uuid.describe('the Space’s id'),
    /** The export's id, as `POST /exports` answered it. */
    exportId: uuid.describe('the export’s id'),
  })
  .strict();

/** `POST /spaces/:spaceId/exports`. */
export const exportCreateBody = z
  .object({
    /** The file format: csv (a zip of one file per table), xlsx, json, ndjson or parquet (a zip). */
    format: z
      .enum(exportFormats)
      .describe('csv (zip of one CSV per table), xlsx (a sheet per table), json, ndjson, parquet'),
  })
  .strict();

export const exportCreatedResponse = z.object({
  /** The export's id: poll `GET /exports/:exportId` until its status is completed. */
  id: z.string().describe('the export’s id'),
  status: z.string().describe('pending, running, completed, failed or expired'),
});

export const exportResponse = z.object({
  id: z.string(),
  format: z.enum(exportFormats),
  status: z
    .enum(['pending', 'running', 'completed', 'failed', 'expired'])
    .describe('pending → running → completed (or failed); expired once its file is deleted'),
  progress: z
    .object({
      rowsDone: z.number().int().describe('rows written so far'),
      rowsTotal: z.number().int().describe('rows to write, counted when the export started'),
      percent: z.number().int().min(0).max(100),
    })
    .describe('how far the export is'),
  rowCounts: z
    .record(z.string(), z.number().int())
    .describe('rows written per table, once completed'),
  size: z.number().int().nullable().describe('size of the file in bytes, once completed'),
  sha256: z.string().nullable().describe('SHA-256 of the file, hex, once completed'),
  error: z.string().nullable().describe('why it failed, when it did'),
  createdBy: z.string().describe('the member who asked for it'),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
  expiresAt: z.string().describe('when the file is deleted'),
});
