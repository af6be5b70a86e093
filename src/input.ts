import type { z } from 'zod';
import { AppError } from './errors.ts';

/** `value` parsed by `schema`, or a 400 naming the first invalid field (services check input themselves, whoever calls). */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) {
    return result.data;
  }
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || 'body',
    message: issue.message,
  }));
  const first = issues[0];
  throw new AppError('invalid_input', first ? `${first.path}: ${first.message}` : 'invalid input', {
    issues,
  });
}
