import type { LightMyRequestResponse } from 'fastify';
import type { TestApp, TestUser } from '../../../test/harness/test-app.ts';
import type { ImportView } from './imports.schemas.ts';

/** Test support: a multipart body with `fields` and one `file` part. */
export function multipartBody(
  fields: Record<string, string>,
  file: { name: string; content: Buffer | string } | undefined,
): { payload: Buffer; contentType: string } {
  const boundary = `----kith${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
      ),
    );
  }
  if (file) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content),
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    payload: Buffer.concat(parts),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

/** POST /imports as `user`. */
export function postImport(
  t: TestApp,
  user: TestUser,
  spaceId: string,
  content: Buffer | string,
  fields: Record<string, string> = {},
  name = 'contacts.csv',
): Promise<LightMyRequestResponse> {
  const body = multipartBody(fields, { name, content });
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/spaces/${spaceId}/imports`,
    headers: { authorization: `Bearer ${user.token}`, 'content-type': body.contentType },
    payload: body.payload,
  });
}

const finished = new Set(['committed', 'validated', 'failed', 'interrupted']);

/** Polls the import until it ends; its last view. */
export async function waitForImport(
  t: TestApp,
  user: TestUser,
  spaceId: string,
  importId: string,
  query = '',
): Promise<ImportView> {
  for (let attempt = 0; attempt < 3000; attempt++) {
    const response = await t.request(
      user,
      'GET',
      `/api/v1/spaces/${spaceId}/imports/${importId}${query}`,
    );
    if (response.statusCode !== 200) {
      throw new Error(`GET import: ${response.statusCode} ${response.body}`);
    }
    const view = response.json() as ImportView;
    if (finished.has(view.status)) {
      return view;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the import did not finish');
}

/** Imports `content` and waits for the end; throws unless the POST answers 202. */
export async function importAndWait(
  t: TestApp,
  user: TestUser,
  spaceId: string,
  content: Buffer | string,
  fields: Record<string, string> = {},
  name = 'contacts.csv',
): Promise<ImportView> {
  const response = await postImport(t, user, spaceId, content, fields, name);
  if (response.statusCode !== 202) {
    throw new Error(`POST import: ${response.statusCode} ${response.body}`);
  }
  return waitForImport(t, user, spaceId, (response.json() as { id: string }).id);
}
