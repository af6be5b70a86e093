import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';
import { body, type ContactBody, type ErrorBody, entryCount } from './contacts.test-support.ts';

interface Page {
  items: ContactBody[];
  nextCursor: string | null;
}

const customFields = [
  { key: 'level', label: 'Level', type: 'choice', choices: ['bronze', 'silver', 'gold'] },
  { key: 'age', label: 'Age', type: 'number' },
  { key: 'joined', label: 'Joined', type: 'date' },
  { key: 'member', label: 'Member', type: 'boolean' },
  { key: 'note', label: 'Note', type: 'text' },
];

const fullContact = {
  firstName: 'Éloïse',
  lastName: 'Dupré',
  email: 'eloise.dupre@example.org',
  phone: '+33 6 12 34 56 78',
  street: '1 rue de la Paix',
  postcode: '75002',
  city: 'Paris',
  country: 'fr',
  tags: ['volunteer', 'donor', 'donor'],
  customFields: {
    level: 'gold',
    age: 36,
    joined: '2024-02-29',
    member: true,
    note: 'met at the fair',
  },
  consents: { email: 'granted', sms: 'denied' },
  consentSource: 'signup form',
  doNotContact: false,
  doNotSell: true,
};

forEachEngine('contacts routes', (env) => {
  let t: TestApp;
  let owner: TestUser;
  let admin: TestUser;
  let organizer: TestUser;
  let volunteer: TestUser;
  let stranger: TestUser;
  let spaceId = '';

  before(async () => {
    t = await createTestApp(env());
    owner = await t.user('Olga Owner');
    admin = await t.user('Adam Admin');
    organizer = await t.user('Orla Organizer');
    volunteer = await t.user('Vic Volunteer');
    stranger = await t.user('Stan Stranger');
    spaceId = await t.space(owner, {
      members: [
        [admin, 'admin'],
        [organizer, 'organizer'],
        [volunteer, 'volunteer'],
      ],
    });
    for (const field of customFields) {
      const created = await t.request(
        owner,
        'POST',
        `/api/v1/spaces/${spaceId}/custom-fields`,
        field,
      );
      assert.equal(created.statusCode, 201, created.body);
    }
  });
  after(() => t.close());

  const url = (path = '', space = spaceId) => `/api/v1/spaces/${space}/contacts${path}`;
  const region = () => env().stores.region('eu');
  const contactCount = async (space = spaceId) =>
    (
      await (
        await region()
      ).query<{ n: number }>('SELECT count(*)::int AS n FROM contacts WHERE space_id = $1', [space])
    ).rows[0]?.n;
  const create = async (as: TestUser, contact: object, space = spaceId) => {
    const response = await t.request(as, 'POST', url('', space), contact);
    assert.equal(response.statusCode, 201, response.body);
    return body<ContactBody>(response);
  };

  test('create, read, list, patch, delete and restore a contact with every field', async () => {
    const created = await create(owner, fullContact);
    assert.match(created.id, /^[0-9a-f-]{36}$/);
    const { id: _id, createdAt: _c, updatedAt: _u, consentDetails: _d, ...fields } = created;
    const { consentSource: _s, ...expected } = fullContact;
    assert.deepEqual(fields, {
      ...expected,
      country: 'FR',
      tags: ['donor', 'volunteer'],
      consents: { email: 'granted', sms: 'denied', phone: 'unknown' },
    });
    assert.equal(created.consentDetails.email?.source, 'signup form');
    assert.equal(created.consentDetails.email?.at, created.createdAt);
    assert.deepEqual(created.consentDetails.phone, { status: 'unknown', source: null, at: null });
    assert.equal('deletedAt' in created, false);

    const read = await t.request(owner, 'GET', url(`/${created.id}`));
    assert.equal(read.statusCode, 200);
    assert.deepEqual(body(read), created);
    const listed = body<Page>(await t.request(organizer, 'GET', url()));
    assert.deepEqual(
      listed.items.find((c) => c.id === created.id),
      created,
    );

    t.clock.advance(1000);
    const patched = await t.request(organizer, 'PATCH', url(`/${created.id}`), {
      city: 'Lyon',
      email: '',
      tags: ['donor'],
      customFields: { age: 37, note: null },
      consents: { phone: 'granted' },
    });
    assert.equal(patched.statusCode, 200, patched.body);
    const after = body<ContactBody>(patched);
    assert.deepEqual(after, {
      ...created,
      city: 'Lyon',
      email: null,
      tags: ['donor'],
      customFields: { level: 'gold', age: 37, joined: '2024-02-29', member: true },
      consents: { ...created.consents, phone: 'granted' },
      consentDetails: {
        ...created.consentDetails,
        phone: { status: 'granted', source: 'api', at: after.updatedAt },
      },
      updatedAt: after.updatedAt,
    });
    assert.ok(after.updatedAt > created.updatedAt);
    assert.deepEqual(body(await t.request(owner, 'GET', url(`/${created.id}`))), after);

    const deleted = await t.request(admin, 'DELETE', url(`/${created.id}`));
    assert.equal(deleted.statusCode, 204);
    assert.equal((await t.request(owner, 'GET', url(`/${created.id}`))).statusCode, 404);
    assert.equal(
      (await t.request(owner, 'PATCH', url(`/${created.id}`), { city: 'Nice' })).statusCode,
      404,
    );
    assert.equal((await t.request(owner, 'DELETE', url(`/${created.id}`))).statusCode, 404);
    assert.ok(
      !body<Page>(await t.request(owner, 'GET', url())).items.some((c) => c.id === created.id),
    );
    const trash = body<Page>(await t.request(admin, 'GET', url('?deleted=true')));
    assert.deepEqual(
      trash.items.map((c) => c.id),
      [created.id],
    );
    const asDeleted = body<ContactBody>(
      await t.request(owner, 'GET', url(`/${created.id}?deleted=true`)),
    );
    assert.equal(asDeleted.deletedAt !== undefined, true);

    const restored = await t.request(admin, 'POST', url(`/${created.id}/restore`));
    assert.equal(restored.statusCode, 200, restored.body);
    assert.equal(body<ContactBody>(restored).id, created.id);
    assert.equal(body<ContactBody>(restored).city, 'Lyon');
    assert.equal((await t.request(owner, 'GET', url(`/${created.id}`))).statusCode, 200);
    const again = await t.request(admin, 'POST', url(`/${created.id}/restore`));
    assert.equal(again.statusCode, 409);
  });

  test('invalid input is a 400 naming the field, and changes nothing', async () => {
    const target = await create(owner, { firstName: 'Stable', customFields: { age: 1 } });
    const db = await region();
    const before = { count: await contactCount(), entries: await entryCount(db, spaceId) };
    const snapshot = await t.request(owner, 'GET', url(`/${target.id}`));
    const cases: [string, object][] = [
      ['nickname', { firstName: 'A', nickname: 'x' }],
      ['firstName', { firstName: 5 }],
      ['firstName', { firstName: 'Nul\u0000Byte' }],
      ['lastName', { lastName: 'x'.repeat(201) }],
      ['email', { email: 'not-an-email' }],
      ['phone', { phone: 'call me' }],
      ['country', { firstName: 'A', country: 'FRA' }],
      ['tags', { firstName: 'A', tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }],
      ['tags', { firstName: 'A', tags: ['x'.repeat(65)] }],
      ['customFields.shoe', { firstName: 'A', customFields: { shoe: 42 } }],
      ['customFields.age', { firstName: 'A', customFields: { age: 'old' } }],
      ['customFields.level', { firstName: 'A', customFields: { level: 'platinum' } }],
      ['customFields.joined', { firstName: 'A', customFields: { joined: '2026-02-30' } }],
      ['customFields.joined', { firstName: 'A', customFields: { joined: '30/01/2026' } }],
      ['customFields.member', { firstName: 'A', customFields: { member: 'yes' } }],
      ['customFields.note', { firstName: 'A', customFields: { note: 'a\u0000b' } }],
      ['customFields', { firstName: 'A', customFields: { age: { n: 1 } } }],
      ['consents', { firstName: 'A', consents: { fax: 'granted' } }],
      ['consents', { firstName: 'A', consents: { email: 'yes' } }],
      ['doNotSell', { firstName: 'A', doNotSell: 'true' }],
    ];
    for (const [field, payload] of cases) {
      for (const [method, path] of [
        ['POST', ''],
        ['PATCH', `/${target.id}`],
      ] as const) {
        const response = await t.request(owner, method, url(path), payload);
        assert.equal(
          response.statusCode,
          400,
          `${method} ${JSON.stringify(payload)}: ${response.body}`,
        );
        const error = body<ErrorBody>(response).error;
        assert.equal(error.code, 'invalid_input');
        assert.ok(
          error.message.includes(field),
          `${method} ${JSON.stringify(payload)}: "${error.message}" names ${field}`,
        );
      }
    }
    const empty = await t.request(owner, 'POST', url(), { city: 'Paris' });
    assert.equal(empty.statusCode, 400);
    assert.match(body<ErrorBody>(empty).error.message, /name, .*email or a phone/);
    assert.equal(
      (await t.request(owner, 'PATCH', url(`/${target.id}`), { firstName: null })).statusCode,
      400,
    );
    assert.deepEqual(
      { count: await contactCount(), entries: await entryCount(db, spaceId) },
      before,
    );
    assert.equal((await t.request(owner, 'GET', url(`/${target.id}`))).body, snapshot.body);
  });

  test('search: prefix on names, full name, email and phone digits; case and accents ignored; tag exact', async () => {
    const space = await t.space(owner);
    const eloise = await create(
      owner,
      { firstName: 'Éloïse', lastName: 'Dupré', email: 'ed@example.org' },
      space,
    );
    const eloi = await create(
      owner,
      { firstName: 'eloi', lastName: 'Martin', phone: '+33 6 12 34 56 78' },
      space,
    );
    const elodie = await create(
      owner,
      { firstName: 'ELODIE', lastName: 'Zola', tags: ['Captain'] },
      space,
    );
    const bob = await create(
      owner,
      { firstName: 'Bob', lastName: 'Smith', email: 'bob.smith@example.org', tags: ['captain'] },
      space,
    );
    const percent = await create(owner, { firstName: '50%', lastName: 'Off' }, space);
    const search = async (query: string) => {
      const response = await t.request(owner, 'GET', `${url('', space)}?${query}`);
      assert.equal(response.statusCode, 200, response.body);
      return body<Page>(response).items.map((c) => c.id);
    };
    const q = (value: string) => search(`q=${encodeURIComponent(value)}`);
    assert.deepEqual(await q('élo'), [eloise.id, eloi.id, elodie.id]);
    assert.deepEqual(await q('ELO'), [eloise.id, eloi.id, elodie.id]);
    assert.deepEqual(await q('Eloïse D'), [eloise.id]);
    assert.deepEqual(await q('dupre'), [eloise.id]);
    assert.deepEqual(await q('BOB.SM'), [bob.id]);
    assert.deepEqual(await q('+33 612'), [eloi.id]);
    assert.deepEqual(await q('3361234'), [eloi.id]);
    assert.deepEqual(await q('5'), [percent.id]);
    assert.deepEqual(await q('5%'), []);
    assert.deepEqual(await q('50%'), [percent.id]);
    assert.deepEqual(await q('_'), []);
    assert.deepEqual(await q('smith bob'), []);
    assert.deepEqual(await search('tag=captain'), [bob.id]);
    assert.deepEqual(await search('tag=Captain'), [elodie.id]);
    assert.deepEqual(await search(`tag=captain&q=${encodeURIComponent('élo')}`), []);
    assert.equal((await t.request(owner, 'GET', `${url('', space)}?q=a%00b`)).statusCode, 400);
  });

  test('cursor pagination walks every contact once, in (last name, first name, id) order', async () => {
    const space = await t.space(owner);
    const names = [
      'Zoé Adam',
      'zoe Adam',
      'Ana Émile',
      'Ana Emile',
      'Bo',
      'Chloé Ng',
      'Chloe Ng',
      'Élie Ng',
    ];
    const ids: string[] = [];
    for (let i = 0; i < 21; i += 1) {
      const [firstName, lastName] = (names[i % names.length] as string).split(' ');
      ids.push(
        (
          await create(
            owner,
            { firstName, lastName: lastName ?? null, tags: i % 3 === 0 ? ['third'] : [] },
            space,
          )
        ).id,
      );
    }
    const walk = async (query: string, limit: number) => {
      const seen: ContactBody[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const suffix: string = cursor ? `&cursor=${cursor}` : '';
        const response = await t.request(
          owner,
          'GET',
          `${url('', space)}?limit=${limit}${query}${suffix}`,
        );
        assert.equal(response.statusCode, 200, response.body);
        const page = body<Page>(response);
        assert.ok(page.items.length <= limit);
        seen.push(...page.items);
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor && pages < 100);
      return seen;
    };
    const all = await walk('', 4);
    assert.equal(all.length, 21);
    assert.equal(new Set(all.map((c) => c.id)).size, 21);
    assert.deepEqual(new Set(all.map((c) => c.id)), new Set(ids));
    const fold = (s: string | null) =>
      (s ?? '').normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
    const key = (c: ContactBody) => [fold(c.lastName), fold(c.firstName), c.id] as const;
    for (let i = 1; i < all.length; i += 1) {
      const [a, b] = [key(all[i - 1] as ContactBody), key(all[i] as ContactBody)];
      assert.ok(
        a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[2] < b[2]))),
        `${a} before ${b}`,
      );
    }
    assert.deepEqual(
      (await walk('', 200)).map((c) => c.id),
      all.map((c) => c.id),
    );
    const thirds = await walk('&tag=third', 2);
    assert.deepEqual(
      thirds.map((c) => c.id),
      all.filter((c) => ids.indexOf(c.id) % 3 === 0).map((c) => c.id),
    );
    const ng = await walk(`&q=ng`, 1);
    assert.equal(ng.length, 6);
    assert.equal(
      (await t.request(owner, 'GET', `${url('', space)}?cursor=garbage!`)).statusCode,
      400,
    );
    assert.equal((await t.request(owner, 'GET', `${url('', space)}?cursor=WzFd`)).statusCode, 400);
  });

  test('a volunteer sees and edits only the contacts they created; others are 404', async () => {
    const own = await create(volunteer, { firstName: 'Mine', lastName: 'Volunteer' });
    const theirs = await create(owner, { firstName: 'Not', lastName: 'Volunteers' });
    const listed = body<Page>(await t.request(volunteer, 'GET', `${url()}?limit=200`)).items;
    assert.deepEqual(
      listed.map((c) => c.id),
      [own.id],
    );
    assert.equal((await t.request(volunteer, 'GET', url(`/${theirs.id}`))).statusCode, 404);
    const refused = await t.request(volunteer, 'PATCH', url(`/${theirs.id}`), {
      firstName: 'Hacked',
    });
    assert.equal(refused.statusCode, 404);
    assert.equal(body<ErrorBody>(refused).error.code, 'not_found');
    assert.equal(
      (
        await t.request(volunteer, 'POST', url(`/${theirs.id}/revert`), {
          field: 'firstName',
          seq: 1,
        })
      ).statusCode,
      404,
    );
    assert.equal(
      body<ContactBody>(await t.request(owner, 'GET', url(`/${theirs.id}`))).firstName,
      'Not',
    );
    const edited = await t.request(volunteer, 'PATCH', url(`/${own.id}`), { city: 'Lille' });
    assert.equal(edited.statusCode, 200);
    assert.equal((await t.request(volunteer, 'DELETE', url(`/${own.id}`))).statusCode, 403);
    assert.equal((await t.request(volunteer, 'GET', `${url()}?deleted=true`)).statusCode, 403);
    // The organizer sees everyone's contacts.
    const organizers = body<Page>(
      await t.request(organizer, 'GET', `${url()}?limit=200`),
    ).items.map((c) => c.id);
    assert.ok(organizers.includes(own.id) && organizers.includes(theirs.id));
  });

  test('an organizer cannot delete or restore (403), and nothing changes', async () => {
    const contact = await create(organizer, { firstName: 'Kept' });
    const db = await region();
    const entries = await entryCount(db, spaceId);
    const refused = await t.request(organizer, 'DELETE', url(`/${contact.id}`));
    assert.equal(refused.statusCode, 403);
    assert.equal(body<ErrorBody>(refused).error.code, 'forbidden');
    assert.equal((await t.request(organizer, 'GET', url(`/${contact.id}`))).statusCode, 200);
    assert.equal((await t.request(admin, 'DELETE', url(`/${contact.id}`))).statusCode, 204);
    assert.equal(
      (await t.request(organizer, 'POST', url(`/${contact.id}/restore`))).statusCode,
      403,
    );
    assert.equal(
      (await t.request(organizer, 'GET', url(`/${contact.id}?deleted=true`))).statusCode,
      403,
    );
    assert.equal((await t.request(organizer, 'GET', url(`/${contact.id}`))).statusCode, 404);
    assert.equal(await entryCount(db, spaceId), entries + 1);
  });

  test('another Space’s contact is 404 for every route, even to its superadmin', async () => {
    const contact = await create(owner, { firstName: 'Private' });
    const otherSpace = await t.space(stranger);
    const before = await (await region()).query(
      'SELECT * FROM contacts WHERE space_id = $1 AND id = $2',
      [spaceId, contact.id],
    );
    const attempts: [TestUser, 'GET' | 'PATCH' | 'DELETE' | 'POST', string, object | undefined][] =
      [
        [stranger, 'GET', url(`/${contact.id}`), undefined],
        [stranger, 'PATCH', url(`/${contact.id}`), { firstName: 'X' }],
        [stranger, 'DELETE', url(`/${contact.id}`), undefined],
        [stranger, 'POST', url(`/${contact.id}/restore`), undefined],
        [stranger, 'GET', url(`/${contact.id}`, otherSpace), undefined],
        [stranger, 'PATCH', url(`/${contact.id}`, otherSpace), { firstName: 'X' }],
        [stranger, 'DELETE', url(`/${contact.id}`, otherSpace), undefined],
        [
          stranger,
          'POST',
          url(`/${contact.id}/revert`, otherSpace),
          { field: 'firstName', seq: 1 },
        ],
        [stranger, 'POST', url('', spaceId), { firstName: 'Intruder' }],
      ];
    for (const [as, method, path, payload] of attempts) {
      const response = await t.request(as, method, path, payload);
      assert.equal(response.statusCode, 404, `${method} ${path}: ${response.body}`);
    }
    assert.deepEqual(
      (
        await (
          await region()
        ).query('SELECT * FROM contacts WHERE space_id = $1 AND id = $2', [spaceId, contact.id])
      ).rows,
      before.rows,
    );
    assert.equal(body<Page>(await t.request(stranger, 'GET', url('', otherSpace))).items.length, 0);
  });
});
