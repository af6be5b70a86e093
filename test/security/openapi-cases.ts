/**
 * Turns the OpenAPI document into request cases: every operation, its path
 * parameters and a valid example body generated from its JSON schema, so that
 * a request reaches the access check rather than stopping at validation.
 */
export interface JsonSchema {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minLength?: number;
  minimum?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  default?: unknown;
}

export interface Operation {
  readonly method: string;
  /** OpenAPI path, e.g. `/api/v1/spaces/{spaceId}/members/{userId}`. */
  readonly path: string;
  readonly pathParams: string[];
  readonly bodySchema: JsonSchema | undefined;
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<string, { requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>
  >;
}

export function operationsOf(document: unknown): Operation[] {
  const doc = document as OpenApiDocument;
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) {
        continue;
      }
      operations.push({
        method: method.toUpperCase(),
        path,
        pathParams: [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? ''),
        bodySchema: operation.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return operations;
}

/** The path with its parameters filled, or the names of the parameters without a value. */
export function fillPath(
  operation: Operation,
  ids: Record<string, string>,
): string | { missing: string[] } {
  const missing = operation.pathParams.filter((p) => ids[p] === undefined);
  if (missing.length > 0) {
    return { missing };
  }
  return operation.path.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(ids[name] ?? ''),
  );
}

/**
 * A valid value for `schema`. `hints` gives values by property name (an existing
 * account's email, a role) where a made-up value would be refused for the wrong reason.
 */
export function exampleFor(
  schema: JsonSchema,
  hints: Record<string, unknown> = {},
  name = '',
): unknown {
  if (name in hints) {
    return hints[name];
  }
  if (schema.const !== undefined) {
    return schema.const;
  }
  if (schema.enum && schema.enum.length > 0) {
    return schema.enum[0];
  }
  const variant = schema.anyOf?.find((s) => s.type !== 'null') ?? schema.oneOf?.[0];
  if (variant) {
    return exampleFor(variant, hints, name);
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object': {
      const value: Record<string, unknown> = {};
      for (const key of schema.required ?? []) {
        value[key] = exampleFor(schema.properties?.[key] ?? {}, hints, key);
      }
      return value;
    }
    case 'array':
      return [];
    case 'integer':
    case 'number':
      return Math.max(1, schema.minimum ?? 1);
    case 'boolean':
      return false;
    case 'string':
      if (schema.format === 'email') {
        return 'someone@example.org';
      }
      if (schema.format === 'uuid') {
        return '00000000-0000-4000-8000-000000000000';
      }
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
    default:
      return null;
  }
}
