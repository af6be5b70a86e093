import type { FastifyError, FastifyInstance } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  isResponseSerializationError,
} from 'fastify-type-provider-zod';
import { AppError, type ErrorCode } from '../errors.ts';

/** Every error code's HTTP status, once. A new code without a status does not compile. */
export const httpStatusOf: Record<ErrorCode, number> = {
  invalid_input: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  throttled: 429,
  integrity_failure: 409,
  unavailable: 503,
  internal: 500,
};

/** The one error shape of the API: `{"error": {"code", "message"}}`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; issues?: { path: string; message: string }[] };
}

/** Fastify's own errors that are the client's fault, in Kith's terms. */
function fromFastify(error: FastifyError): AppError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('too_large', 'the request body is larger than this route accepts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('invalid_input', 'unsupported Content-Type: send application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('invalid_input', 'the JSON body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('invalid_input', 'the request body is not valid JSON');
    default:
      break;
  }
  if (error instanceof SyntaxError || error.statusCode === 400) {
    // Malformed JSON, and secure-json-parse's refusal of __proto__ / constructor keys.
    return new AppError('invalid_input', `invalid request body: ${error.message}`);
  }
  if (error.statusCode === 413) {
    return new AppError('too_large', 'the request body is too large');
  }
  return undefined;
}

export function toErrorBody(error: AppError): ErrorBody {
  const body: ErrorBody = { error: { code: error.code, message: error.message } };
  if (error.details.issues) {
    body.error.issues = [...error.details.issues];
  }
  return body;
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    const error = new AppError(
      'not_found',
      `no route ${request.method} ${request.url.split('?')[0]}`,
    );
    void reply.status(404).send(toErrorBody(error));
  });
  app.setErrorHandler((raw: FastifyError, request, reply) => {
    let error: AppError;
    if (raw instanceof AppError) {
      error = raw;
    } else if (hasZodFastifySchemaValidationErrors(raw)) {
      const issues = raw.validation.map((v) => ({
        path: `${raw.validationContext ?? 'request'}${v.instancePath.replaceAll('/', '.')}`,
        message: v.message ?? 'is invalid',
      }));
      const first = issues[0];
      error = new AppError(
        'invalid_input',
        first ? `${first.path}: ${first.message}` : 'invalid request',
        { issues },
      );
    } else if (isResponseSerializationError(raw)) {
      request.log.error({ err: raw }, 'response did not match its schema');
      error = new AppError('internal', 'internal error');
    } else {
      error = fromFastify(raw) ?? new AppError('internal', 'internal error');
      if (error.code === 'internal') {
        request.log.error({ err: raw }, 'unhandled error');
      }
    }
    if (error.details.retryAfterSeconds !== undefined) {
      void reply.header('retry-after', String(error.details.retryAfterSeconds));
    }
    void reply.status(httpStatusOf[error.code]).send(toErrorBody(error));
  });
}
