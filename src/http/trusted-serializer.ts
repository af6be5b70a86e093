import type { FastifySerializerCompiler } from 'fastify';

/**
 * For a hot read whose handler returns a presenter's output as is: the body is
 * `JSON.stringify`ed without the zod pass the app's serializer makes on every
 * response (a parse of every item, then a copy). The route's zod response
 * schema still documents it in the OpenAPI document, and its tests check the
 * shape. Use it only where the presenter builds every field itself.
 */
export const presenterOutputSerializer: FastifySerializerCompiler<unknown> = () => (data) =>
  JSON.stringify(data);
