import { rm } from 'node:fs/promises';
import multipart from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../../errors.ts';
import type { ApiInstance } from '../../http/api-instance.ts';
import { callerOf } from '../../http/authentication.ts';
import { errorResponses, uuid } from '../../http/common-schemas.ts';
import { spaceParams } from '../contacts/contacts.schemas.ts';
import type { ImportLimits } from './import-limits.ts';
import { saveUpload, tooLarge, uploadDirectory } from './import-upload.ts';
import { importGetQuery, importParams, importSchema } from './imports.schemas.ts';
import type { ImportsService, ImportUpload } from './imports.service.ts';

const tags = ['imports'];
const maxFieldBytes = 256 * 1024;

/** `/spaces/:spaceId/imports`: contact imports from CSV or XLSX (SPEC 4.4). */
export function registerImportRoutes(
  api: ApiInstance,
  services: { readonly imports: ImportsService },
  settings: { readonly dataDir: string; readonly limits: ImportLimits },
): void {
  api.register(async (scope) => {
    // Multipart is parsed on these routes only, with every limit explicit.
    await scope.register(multipart, {
      limits: {
        fileSize: settings.limits.maxUploadBytes,
        files: 1,
        fields: 10,
        fieldSize: maxFieldBytes,
        parts: 12,
        headerPairs: 50,
      },
    });
    const routes = scope.withTypeProvider<ZodTypeProvider>();

    routes.post(
      '/spaces/:spaceId/imports',
      {
        config: { spaceAction: 'contacts.import' },
        schema: {
          tags,
          summary:
            'Import contacts (multipart: file, mapping JSON, dryRun, mode skip|update|create, dedupBy email|phone, encoding, delimiter)',
          consumes: ['multipart/form-data'],
          params: spaceParams,
          response: { 202: z.object({ id: uuid }), ...errorResponses },
        },
      },
      async (request, reply) => {
        const caller = callerOf(request);
        await services.imports.authorize(caller, request.params.spaceId);
        const { upload, fields } = await readUpload(request, settings);
        const { id } = await services.imports.start(
          caller,
          request.params.spaceId,
          upload,
          optionsOf(fields),
        );
        return reply.code(202).send({ id });
      },
    );

    routes.get(
      '/spaces/:spaceId/imports/:importId',
      {
        config: { spaceAction: 'contacts.import' },
        schema: {
          tags,
          summary: 'An import: status, progress, counts and rejected rows by line',
          params: importParams,
          querystring: importGetQuery,
          response: { 200: importSchema, ...errorResponses },
        },
      },
      async (request) =>
        services.imports.get(
          callerOf(request),
          request.params.spaceId,
          request.params.importId,
          request.query,
        ),
    );
  });
}

/** The `file` part saved to disk, and the other fields as text. */
async function readUpload(
  request: FastifyRequest,
  settings: { readonly dataDir: string; readonly limits: ImportLimits },
): Promise<{ upload: ImportUpload; fields: Record<string, string> }> {
  if (!request.isMultipart()) {
    throw new AppError(
      'invalid_input',
      'send the file as multipart/form-data, with a part named "file"',
    );
  }
  const fields: Record<string, string> = {};
  let upload: ImportUpload | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file' || upload) {
          part.file.resume();
          throw new AppError('invalid_input', 'send exactly one file, in the part named "file"');
        }
        const directory = await uploadDirectory(settings.dataDir);
        upload = await saveUpload(
          part.file,
          directory,
          part.filename,
          settings.limits.maxUploadBytes,
        );
      } else {
        if (part.valueTruncated || part.fieldnameTruncated) {
          throw new AppError(
            'too_large',
            `import limit exceeded: the field "${part.fieldname}" is longer than ${maxFieldBytes} bytes`,
          );
        }
        fields[part.fieldname] = String(part.value);
      }
    }
  } catch (error) {
    if (upload) {
      await rm(upload.path, { force: true });
    }
    throw multipartError(error, settings.limits);
  }
  if (!upload) {
    throw new AppError('invalid_input', 'the part named "file" is missing: attach the CSV or XLSX');
  }
  return { upload, fields };
}

function multipartError(error: unknown, limits: ImportLimits): unknown {
  switch ((error as { code?: string }).code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return tooLarge(limits.maxUploadBytes);
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new AppError(
        'too_large',
        'import limit exceeded: too many parts (one file and at most 10 fields)',
      );
    case 'FST_PROTO_VIOLATION':
      return new AppError('invalid_input', 'a field named "__proto__" is not allowed');
    default:
      return error;
  }
}

const forbiddenKeys = new Set(['__proto__', 'constructor', 'prototype']);

/** The multipart fields as the service's options: `mapping` is JSON, `dryRun` a boolean. */
function optionsOf(fields: Record<string, string>): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (name === 'mapping') {
      options.mapping = parseMapping(value);
    } else if (name === 'dryRun') {
      options.dryRun = value === 'true' ? true : value === 'false' ? false : value;
    } else {
      options[name] = value;
    }
  }
  return options;
}

function parseMapping(text: string): unknown {
  try {
    return JSON.parse(text, (key, value) => {
      if (forbiddenKeys.has(key)) {
        throw new AppError('invalid_input', `mapping: the key "${key}" is not allowed`);
      }
      return value;
    });
  } catch (error) {
    if (error instanceof AppError) {
      throw error;
    }
    throw new AppError(
      'invalid_input',
      'mapping: must be JSON, e.g. {"E-mail": "email", "Prénom": "firstName"}',
    );
  }
}
