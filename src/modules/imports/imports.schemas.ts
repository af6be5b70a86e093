import { z } from 'zod';
import { uuid } from '../../http/common-schemas.ts';
import { delimiters } from './csv-tokenizer.ts';
import { dedupKeys, dedupModes } from './import-commit.ts';
import { importEncodings } from './text-decoding.ts';

/** What an import is asked to do: the multipart fields beside `file`. */
export const importOptions = z
  .object({
    /** Column header → contact field (`firstName`, `tags`, `consents.email`, `customFields.<key>`, `ignore`…); guessed from the headers when absent. */
    mapping: z.record(z.string().max(200), z.string().max(100)).optional(),
    /** Validate and report every rejected row, change nothing. */
    dryRun: z.boolean().default(false),
    /** A row whose email (or phone) matches a contact: `skip` it, `update` the contact, or `create` another. */
    mode: z.enum(dedupModes).default('skip'),
    /** What makes two contacts the same person. */
    dedupBy: z.enum(dedupKeys).default('email'),
    /** The CSV's encoding; `auto` reads a byte-order mark, else UTF-8. */
    encoding: z.enum(importEncodings).default('auto'),
    /** The CSV's delimiter; detected from the header line when absent. */
    delimiter: z.enum(delimiters).optional(),
  })
  .strict();
export type ImportOptions = z.infer<typeof importOptions>;

export const importParams = z.object({ spaceId: uuid, importId: z.string().max(100) }).strict();

export const importGetQuery = z
  .object({
    /** Page of rejected rows after this line (the previous page's `nextRejectedAfter`). */
    rejectedAfter: z.coerce.number().int().min(0).default(0),
    /** Rejected rows per page, 1–10000 (default 1000). */
    rejectedLimit: z.coerce.number().int().min(1).max(10_000).default(1000),
  })
  .strict();

const counts = z.object({
  /** Data rows in the file (the header not counted). */
  totalRows: z.number(),
  /** Rows read and checked so far. */
  processedRows: z.number(),
  validRows: z.number(),
  rejectedRows: z.number(),
  /** Contacts created, updated, and rows skipped as duplicates, once committed. */
  created: z.number(),
  updated: z.number(),
  skipped: z.number(),
});

/** An import job as the API answers it. */
export const importSchema = z.object({
  id: uuid,
  status: z.enum([
    'queued',
    'validating',
    'committing',
    'committed',
    'validated',
    'failed',
    'interrupted',
  ]),
  dryRun: z.boolean(),
  fileName: z.string(),
  format: z.enum(['csv', 'xlsx', 'json']),
  size: z.number(),
  sha256: z.string(),
  options: z.record(z.string(), z.unknown()),
  /** Where the job is: its phase and the share done, 0–1. */
  progress: z.object({
    phase: z.string(),
    done: z.number(),
    total: z.number(),
    fraction: z.number(),
  }),
  counts,
  /** Rejected rows, by line, with the reason (a page: see `nextRejectedAfter`). */
  rejectedRows: z.array(z.object({ line: z.number(), reason: z.string() })),
  nextRejectedAfter: z.number().nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type ImportView = z.infer<typeof importSchema>;
