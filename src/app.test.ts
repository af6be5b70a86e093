import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../test/harness/engines.ts';
import { createTestApp, type TestApp } from '../test/harness/test-app.ts';

forEachEngine('the HTTP app', (env) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(env());
  });
  after(() => t.close());

  test('GET /api/health answers {ok: true} without a session', async () => {
    const response = await t.request(null, 'GET', '/api/health');
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { ok: true });
  });

  test('the OpenAPI document and its browsable page are public', async () => {
    const document = await t.request(null, 'GET', '/api/openapi.json');
    assert.equal(document.statusCode, 200);
    const parsed = document.json() as { openapi: string; paths: Record<string, unknown> };
    assert.match(parsed.openapi, /^3\.1/);
    for (const path of [
      '/api/v1/auth/login',
      '/api/v1/spaces',
      '/api/v1/spaces/{spaceId}/members/{userId}',
    ]) {
      assert.ok(parsed.paths[path], `${path} is documented`);
    }
    const page = await t.request(null, 'GET', '/api/docs/');
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type'] ?? ''), /text\/html/);
  });

  test('every API route documents its request and its answers', () => {
    const document = t.app.swagger() as {
      paths: Record<
        string,
        Record<string, { responses?: Record<string, unknown>; summary?: string }>
      >;
    };
    const undocumented: string[] = [];
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        if (
          !operation.summary ||
          !operation.responses ||
          Object.keys(operation.responses).length < 2
        ) {
          undocumented.push(`${method.toUpperCase()} ${path}`);
        }
      }
    }
    assert.deepEqual(undocumented, []);
  });
});
