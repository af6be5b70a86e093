import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyContextConfig, type FastifyInstance } from 'fastify';
import {
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';
import type { RouteRecord } from '../../app.ts';
import { installAuthentication } from '../../http/authentication.ts';
import { installErrorHandler } from '../../http/error-handler.ts';
import { ensureCheckpointKeys } from './checkpoint-keys.ts';
import { registerHistoryRoutes } from './history.routes.ts';
import { HistoryService } from './history.service.ts';
import type { HistoryEntryView } from './history-presenter.ts';
import { contactUpdate, testActor } from './history-test-support.ts';
import { appendHistoryEntries, type HistoryEntryInput } from './history-writer.ts';

/**
 * The history routes over HTTP. Until app.ts registers them, they are mounted on
 * a bare app with the same error handler and authentication; once it does, the
 * real app is used.
 */
async function historyApp(
  t: TestApp,
  service: HistoryService,
): Promise<{ app: FastifyInstance; routes: RouteRecord[] }> {
  if (t.app.routeCatalogue.some((r) => r.url === '/api/v1/spaces/:spaceId/history')) {
    return { app: t.app, routes: t.app.routeCatalogue };
  }
  const routes: RouteRecord[] = [];
  const app = Fastify();
  app.addHook('onRoute', (route) => {
    if (route.method === 'HEAD') {
      return;
    }
    routes.push({
      method: String(route.method),
      url: route.url,
      config: (route.config ?? {}) as FastifyContextConfig,
    });
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  installAuthentication(app, t.services.identity);
  await app.register(
    async (v1) =>
      registerHistoryRoutes(v1.withTypeProvider<ZodTypeProvider>(), { history: service }),
    {
      prefix: '/api/v1',
    },
  );
  await app.ready();
  return { app, routes };
}

forEachEngine('history routes', (env) => {
  let t: TestApp;
  let app: FastifyInstance;
  let routes: RouteRecord[] = [];
  let owner: TestUser;
  let admin: TestUser;
  let otherOwner: TestUser;
  let spaceId = '';
  let otherSpace = '';
  const alice = randomUUID();
  const bob = randomUUID();
  const staffActor = {
    type: 'staff',
    id: 'staff-7',
    name: 'Sam Support',
    role: 'account_manager',
  } as const;

  const get = (user: TestUser | null, url: string) =>
    app.inject({
      method: 'GET',
      url,
      headers: user ? { authorization: `Bearer ${user.token}` } : {},
    });
  const post = (user: TestUser | null, url: string) =>
    app.inject({
      method: 'POST',
      url,
      headers: user ? { authorization: `Bearer ${user.token}` } : {},
    });

  before(async () => {
    await ensureCheckpointKeys(env().config);
    t = await createTestApp(env());
    const service = new HistoryService({
      config: env().config,
      stores: env().stores,
      clock: t.clock.now,
      mailer: t.mailer,
    });
    ({ app, routes } = await historyApp(t, service));
    owner = await t.user('Owner');
    admin = await t.user('Admin');
    otherOwner = await t.user('Other owner');
    spaceId = await t.space(owner, { members: [[admin, 'admin']] });
    otherSpace = await t.space(otherOwner);
    const db = await env().stores.region('eu');
    const entries: HistoryEntryInput[] = [
      {
        ...contactUpdate(alice, 'email', null, 'alice@example.org'),
        action: 'contact.create',
        at: new Date('2026-01-01T10:00:00Z'),
      },
      {
        ...contactUpdate(bob, 'email', null, 'bob@example.org'),
        action: 'contact.create',
        at: new Date('2026-01-02T10:00:00Z'),
      },
      { ...contactUpdate(alice, 'city', 'Lyon', 'Paris'), at: new Date('2026-01-03T10:00:00Z') },
      {
        ...contactUpdate(alice, 'email', 'alice@example.org', 'alice@new.example'),
        actor: { ...staffActor },
        at: new Date('2026-01-04T10:00:00Z'),
      },
      { ...contactUpdate(bob, 'tags', ['a'], ['a', 'b']), at: new Date('2026-01-05T10:00:00Z') },
    ];
    await db.transaction((tx) => appendHistoryEntries(tx, spaceId, entries));
    await db.transaction((tx) =>
      appendHistoryEntries(tx, otherSpace, [
        contactUpdate(alice, 'email', null, 'secret@example.org'),
      ]),
    );
  });
  after(async () => {
    if (app !== t.app) {
      await app.close();
    }
    await t.close();
  });

  const history = async (query = '') => {
    const response = await get(owner, `/api/v1/spaces/${spaceId}/history${query}`);
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as { items: HistoryEntryView[]; nextCursor: string | null };
  };

  test('the superadmin reads the history newest first, with actor, changes, values and hashes', async () => {
    const page = await history();
    assert.deepEqual(
      page.items.map((e) => [e.seq, e.action]),
      [
        [7, 'contact.update'],
        [6, 'contact.update'],
        [5, 'contact.update'],
        [4, 'contact.create'],
        [3, 'contact.create'],
        [2, 'member.add'],
        [1, 'space.create'],
      ],
      'the Space’s creation and its members come first, then the entries appended here',
    );
    const entry = page.items.find(
      (e) => e.target.id === alice && e.action === 'contact.update' && e.actor.type === 'staff',
    );
    assert.ok(entry);
    assert.deepEqual(entry.actor, staffActor);
    assert.equal(entry.at, '2026-01-04T10:00:00.000Z');
    assert.deepEqual(
      entry.changes.map((c) => ({ field: c.field, from: c.from, to: c.to, redacted: c.redacted })),
      [{ field: 'email', from: 'alice@example.org', to: 'alice@new.example', redacted: undefined }],
    );
    assert.match(entry.changes[0]!.fromDigest ?? '', /^[0-9a-f]{64}$/);
    assert.match(entry.changes[0]!.toSalt ?? '', /^[0-9a-f]{32}$/);
    assert.deepEqual(
      [entry.source, entry.device, entry.ip, entry.importId, entry.formatVersion],
      ['api', 'kith-tests/1.0', '127.0.0.1', null, 1],
    );
    assert.match(entry.hash, /^[0-9a-f]{64}$/);
    assert.ok(!JSON.stringify(page).includes('secret@example.org'), 'nothing of another Space');
  });

  test('filters: contact, actor, action, time range; each combined with the others', async () => {
    const ofAlice = await history(`?contactId=${alice}`);
    assert.ok(ofAlice.items.length === 3 && ofAlice.items.every((e) => e.target.id === alice));
    const byStaff = await history(`?actorId=${staffActor.id}`);
    assert.deepEqual(
      byStaff.items.map((e) => e.actor.name),
      ['Sam Support'],
    );
    const byUser = await history(`?actorId=${testActor.id}&contactId=${bob}`);
    assert.equal(byUser.items.length, 2);
    const creates = await history('?action=contact.create');
    assert.ok(
      creates.items.length >= 2 && creates.items.every((e) => e.action === 'contact.create'),
    );
    const window = await history('?since=2026-01-02T10:00:00Z&until=2026-01-04T10:00:00Z');
    assert.deepEqual(
      window.items.map((e) => e.at),
      ['2026-01-03T10:00:00.000Z', '2026-01-02T10:00:00.000Z'],
    );
    const offset = await history('?since=2026-01-03T11:00:00%2B01:00');
    assert.ok(
      offset.items.some((e) => e.at === '2026-01-03T10:00:00.000Z'),
      'a time with an offset is that instant',
    );
  });

  test('pages: keyset by seq, newest first, no entry twice or missed', async () => {
    const all = await history('?limit=200');
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await history(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.ok(page.items.length <= 2);
      seen.push(...page.items.map((e) => e.seq));
      cursor = page.nextCursor;
    } while (cursor);
    assert.deepEqual(
      seen,
      all.items.map((e) => e.seq),
    );
    assert.deepEqual(
      seen,
      [...seen].sort((a, b) => b - a),
    );
  });

  test('bad filters are a 400 that says what is wrong', async () => {
    const cases = [
      '?since=yesterday',
      '?until=2026-13-01T00:00:00Z',
      '?since=2026-01-05T00:00:00Z&until=2026-01-01T00:00:00Z',
      '?contactId=not-a-uuid',
      '?action=contact.teleport',
      '?limit=0',
      '?limit=201',
      '?cursor=%%%',
      `?cursor=${Buffer.from('["x"]').toString('base64url')}`,
      '?unknown=1',
    ];
    for (const query of cases) {
      const response = await get(owner, `/api/v1/spaces/${spaceId}/history${query}`);
      assert.equal(response.statusCode, 400, `${query}: ${response.body}`);
      assert.equal((response.json() as { error: { code: string } }).error.code, 'invalid_input');
    }
  });

  test('verify answers ok with the count; checkpoints come with the region’s public key', async () => {
    const verify = await get(owner, `/api/v1/spaces/${spaceId}/history/verify`);
    assert.equal(verify.statusCode, 200);
    assert.deepEqual(verify.json(), { ok: true, count: 7, firstBadSeq: null, reason: null });

    const none = await get(owner, `/api/v1/spaces/${spaceId}/history/checkpoints`);
    assert.equal(none.statusCode, 200);
    assert.deepEqual((none.json() as { items: unknown[] }).items, []);

    const signed = await post(owner, `/api/v1/spaces/${spaceId}/history/checkpoints`);
    assert.equal(signed.statusCode, 201, signed.body);
    assert.equal((signed.json() as { seq: number }).seq, 7);
    const again = await post(owner, `/api/v1/spaces/${spaceId}/history/checkpoints`);
    assert.equal(again.statusCode, 200, 'nothing new to sign: the last checkpoint');
    assert.deepEqual(again.json(), signed.json());

    const list = await get(owner, `/api/v1/spaces/${spaceId}/history/checkpoints`);
    const body = list.json() as {
      spaceId: string;
      items: { seq: number; keyId: string }[];
      keyId: string;
      publicKey: string;
    };
    assert.equal(body.spaceId, spaceId);
    assert.deepEqual(
      body.items.map((c) => c.seq),
      [7],
    );
    assert.equal(body.items[0]!.keyId, body.keyId);
    assert.match(body.publicKey, /^-----BEGIN PUBLIC KEY-----/);
  });

  test('only the superadmin: an admin gets 403, another Space’s owner and an anonymous caller get 404 and 401', async () => {
    for (const path of ['', '/verify', '/checkpoints']) {
      const url = `/api/v1/spaces/${spaceId}/history${path}`;
      assert.equal((await get(admin, url)).statusCode, 403, `admin ${path}`);
      assert.equal((await get(otherOwner, url)).statusCode, 404, `other owner ${path}`);
      assert.equal((await get(null, url)).statusCode, 401, `anonymous ${path}`);
    }
    assert.equal(
      (await post(admin, `/api/v1/spaces/${spaceId}/history/checkpoints`)).statusCode,
      403,
    );
    assert.equal((await get(owner, `/api/v1/spaces/${randomUUID()}/history`)).statusCode, 404);
  });

  test('every history route declares its Space action', () => {
    const ofHistory = routes.filter((r) => r.url.includes('/history'));
    assert.equal(ofHistory.length, 4);
    for (const route of ofHistory) {
      assert.ok(route.config.spaceAction?.startsWith('history.'), `${route.method} ${route.url}`);
    }
  });
});
