import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import Fastify from 'fastify';
import { loadConfig } from './config.ts';
import { loggerOptions } from './server.ts';

test('server logs carry no personal data: no query strings, IPs, credentials or database details', async () => {
  const destination = new PassThrough();
  let logged = '';
  destination.on('data', (chunk: Buffer) => {
    logged += chunk.toString();
  });
  const app = Fastify({
    logger: loggerOptions(loadConfig({ KITH_LOG_LEVEL: 'info' }), destination),
  });
  app.get('/support/card', async (request) => {
    request.log.info({ req: request, headers: request.headers }, 'request seen');
    const clash = Object.assign(new Error('duplicate key value violates unique constraint'), {
      code: '23505',
      detail: 'Key (lower(email))=(ann@example.org) already exists.',
    });
    request.log.error({ err: clash }, 'unhandled error');
    return { ok: true };
  });
  const response = await app.inject({
    method: 'GET',
    url: '/support/card?email=ann%40example.org',
    headers: { authorization: 'Bearer secret-session-token', cookie: 'kith_session=secret-cookie' },
    remoteAddress: '203.0.113.7',
  });
  await app.close();
  assert.equal(response.statusCode, 200);

  const entries = logged
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.ok(
    entries.some((entry) => entry.msg === 'request seen'),
    logged,
  );
  const seen = entries.find((entry) => entry.msg === 'request seen')!;
  assert.deepEqual((seen.req as { url: string }).url, '/support/card');
  assert.equal((seen.headers as Record<string, string>).authorization, '[redacted]');
  assert.equal((seen.headers as Record<string, string>).cookie, '[redacted]');
  const failure = entries.find((entry) => entry.msg === 'unhandled error')!;
  assert.equal((failure.err as { code: string }).code, '23505');
  for (const secret of [
    'ann@example.org',
    'ann%40example.org',
    'secret-session-token',
    'secret-cookie',
    '203.0.113.7',
  ]) {
    assert.ok(!logged.includes(secret), `the logs contain ${secret}: ${logged}`);
  }
});
