import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../harness/test-app.ts';
import { snapshotSpace } from './space-snapshot.ts';

/**
 * Deliverable 9 of issue #2: bad input gets a clear 4xx in the error shape and
 * changes nothing. Malformed JSON, wrong types, unknown fields, oversized bodies,
 * prototype-pollution keys, invalid cursors, non-UUID ids, wrong content types.
 */
forEachEngine(
  'bad input',
  (env) => {
    let t: TestApp;
    let owner: TestUser;
    let spaceId = '';

    before(async () => {
      t = await createTestApp(env());
      owner = await t.user('Owner');
      spaceId = await t.space(owner);
    });
    after(() => t.close());

    const raw = (
      method: 'POST' | 'PATCH' | 'GET',
      url: string,
      payload?: string,
      contentType = 'application/json',
    ) =>
      t.app.inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${owner.token}`,
          ...(payload === undefined ? {} : { 'content-type': contentType }),
        },
        ...(payload === undefined ? {} : { payload }),
      });

    const expectError = (
      response: { statusCode: number; json(): unknown },
      status: number,
      code: string,
    ) => {
      assert.equal(response.statusCode, status);
      const body = response.json() as { error?: { code?: string; message?: string } };
      assert.equal(body.error?.code, code);
      assert.ok((body.error?.message ?? '').length > 5, 'the message says what is wrong');
    };

    const state = async () => {
      const platform = await env().stores.platform();
      const counts = await platform.query(
        'SELECT (SELECT count(*) FROM spaces) AS spaces, (SELECT count(*) FROM memberships) AS members, (SELECT count(*) FROM users) AS users',
      );
      return JSON.stringify([counts.rows, await snapshotSpace(env(), spaceId)]);
    };

    const bodies: [string, string][] = [
      ['malformed JSON', '{"name": "x", '],
      ['a JSON string', '"just a string"'],
      ['an array', '[{"name": "x", "country": "FR"}]'],
      ['null', 'null'],
      ['wrong types', '{"name": 42, "country": ["FR"]}'],
      ['unknown field', '{"name": "x", "country": "FR", "admin": true}'],
      ['__proto__ key', '{"name": "x", "country": "FR", "__proto__": {"polluted": true}}'],
      [
        'nested __proto__',
        '{"name": "x", "country": "FR", "extra": {"__proto__": {"polluted": true}}}',
      ],
      [
        'constructor.prototype',
        '{"name": "x", "country": "FR", "constructor": {"prototype": {"polluted": true}}}',
      ],
      ['NUL in a string', '{"name": "x\\u0000y", "country": "FR"}'],
      ['empty name', '{"name": "", "country": "FR"}'],
      ['lone surrogate', '{"name": "\\ud800", "country": "FR"}'],
    ];

    for (const [label, payload] of bodies) {
      test(`POST /spaces with ${label}: 400, nothing changes`, async () => {
        const before = await state();
        const response = await raw('POST', '/api/v1/spaces', payload);
        expectError(response, 400, 'invalid_input');
        assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
        assert.equal(await state(), before);
      });
    }

    test('a body over the limit: 413, nothing changes', async () => {
      const before = await state();
      const big = JSON.stringify({
        name: 'x'.repeat(env().config.http.bodyLimitBytes + 10),
        country: 'FR',
      });
      expectError(await raw('POST', '/api/v1/spaces', big), 413, 'too_large');
      assert.equal(await state(), before);
    });

    test('a non-JSON content type: 400', async () => {
      expectError(
        await raw(
          'POST',
          '/api/v1/spaces',
          'name=x&country=FR',
          'application/x-www-form-urlencoded',
        ),
        400,
        'invalid_input',
      );
    });

    test('bad member bodies: unknown role, bad email, unknown field: 400, nothing changes', async () => {
      const before = await state();
      for (const payload of [
        '{"email": "a@example.org", "role": "owner"}',
        '{"email": "not-an-email", "role": "admin"}',
        '{"email": "a@example.org", "role": "admin", "spaceId": "x"}',
        '{"role": "admin"}',
      ]) {
        expectError(
          await raw('POST', `/api/v1/spaces/${spaceId}/members`, payload),
          400,
          'invalid_input',
        );
      }
      assert.equal(await state(), before);
    });

    for (const cursor of [
      'not a cursor!',
      'AAAA',
      Buffer.from('{"x":1}').toString('base64url'),
      'x'.repeat(600),
    ]) {
      test(`an invalid cursor (${cursor.slice(0, 12)}…): 400`, async () => {
        expectError(
          await raw('GET', `/api/v1/spaces?cursor=${encodeURIComponent(cursor)}`),
          400,
          'invalid_input',
        );
        expectError(
          await raw(
            'GET',
            `/api/v1/spaces/${spaceId}/members?cursor=${encodeURIComponent(cursor)}`,
          ),
          400,
          'invalid_input',
        );
      });
    }

    for (const limit of ['0', '-1', '201', 'ten', '1.5']) {
      test(`limit=${limit}: 400`, async () => {
        expectError(await raw('GET', `/api/v1/spaces?limit=${limit}`), 400, 'invalid_input');
      });
    }

    for (const id of [
      '123',
      'not-a-uuid',
      '../../etc/passwd',
      "1' OR '1'='1",
      '00000000-0000-0000-0000-00000000000g',
    ]) {
      test(`a non-UUID id (${id}): 400, in the error shape`, async () => {
        expectError(
          await raw('GET', `/api/v1/spaces/${encodeURIComponent(id)}`),
          400,
          'invalid_input',
        );
        expectError(
          await raw('GET', `/api/v1/spaces/${spaceId}/members?x=1`),
          400,
          'invalid_input',
        );
        expectError(
          await raw(
            'PATCH',
            `/api/v1/spaces/${spaceId}/members/${encodeURIComponent(id)}`,
            '{"role":"admin"}',
          ),
          400,
          'invalid_input',
        );
      });
    }

    test('an unknown route: 404 in the error shape', async () => {
      expectError(await raw('GET', '/api/v1/nothing-here'), 404, 'not_found');
    });

    test('a login with a malformed body: 400, not 401 or 500', async () => {
      const response = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'application/json' },
        payload: '{"email": ',
      });
      expectError(response, 400, 'invalid_input');
    });

    test('the server is still healthy after all of it', async () => {
      const response = await t.app.inject({ method: 'GET', url: '/api/health' });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), { ok: true });
    });
  },
  { env: { KITH_BODY_LIMIT_BYTES: String(64 * 1024) } },
);
