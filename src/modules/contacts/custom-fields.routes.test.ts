import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';
import {
  body,
  type ContactBody,
  type ErrorBody,
  entryCount,
  historyOf,
} from './contacts.test-support.ts';

interface FieldBody {
  key: string;
  label: string;
  type: string;
  choices: string[] | null;
}

forEachEngine('custom fields and settings routes', (env) => {
  let t: TestApp;
  let owner: TestUser;
  let admin: TestUser;
  let organizer: TestUser;
  let volunteer: TestUser;
  let spaceId = '';

  before(async () => {
    t = await createTestApp(env());
    owner = await t.user('Sam Superadmin');
    admin = await t.user('Ali Admin');
    organizer = await t.user('Oz Organizer');
    volunteer = await t.user('Val Volunteer');
    spaceId = await t.space(owner, {
      members: [
        [admin, 'admin'],
        [organizer, 'organizer'],
        [volunteer, 'volunteer'],
      ],
    });
  });
  after(() => t.close());

  const fieldsUrl = (path = '') => `/api/v1/spaces/${spaceId}/custom-fields${path}`;
  const region = () => env().stores.region('eu');

  test('admins define, change and delete custom fields; each change is an entry', async () => {
    const created = await t.request(admin, 'POST', fieldsUrl(), {
      key: 'tshirt',
      label: 'T-shirt',
      type: 'choice',
      choices: ['S', 'M'],
    });
    assert.equal(created.statusCode, 201, created.body);
    assert.deepEqual(
      { ...body<FieldBody>(created), createdAt: undefined, updatedAt: undefined },
      {
        key: 'tshirt',
        label: 'T-shirt',
        type: 'choice',
        choices: ['S', 'M'],
        createdAt: undefined,
        updatedAt: undefined,
      },
    );
    const listed = await t.request(volunteer, 'GET', fieldsUrl());
    assert.equal(listed.statusCode, 200);
    assert.deepEqual(
      body<{ items: FieldBody[] }>(listed).items.map((f) => f.key),
      ['tshirt'],
    );

    const changed = await t.request(owner, 'PATCH', fieldsUrl('/tshirt'), {
      label: 'Shirt size',
      choices: ['S', 'M', 'L'],
    });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.deepEqual(body<FieldBody>(changed).choices, ['S', 'M', 'L']);

    const contact = await t.request(owner, 'POST', `/api/v1/spaces/${spaceId}/contacts`, {
      firstName: 'Tee',
      customFields: { tshirt: 'L' },
    });
    assert.equal(body<ContactBody>(contact).customFields.tshirt, 'L');

    assert.equal((await t.request(admin, 'DELETE', fieldsUrl('/tshirt'))).statusCode, 204);
    const read = await t.request(
      owner,
      'GET',
      `/api/v1/spaces/${spaceId}/contacts/${body<ContactBody>(contact).id}`,
    );
    assert.deepEqual(body<ContactBody>(read).customFields, {});
    const write = await t.request(
      owner,
      'PATCH',
      `/api/v1/spaces/${spaceId}/contacts/${body<ContactBody>(contact).id}`,
      {
        customFields: { tshirt: 'S' },
      },
    );
    assert.equal(write.statusCode, 400);
    assert.equal(
      (await t.request(admin, 'PATCH', fieldsUrl('/tshirt'), { label: 'x' })).statusCode,
      404,
    );
    assert.equal((await t.request(admin, 'DELETE', fieldsUrl('/tshirt'))).statusCode, 404);
    const reused = await t.request(admin, 'POST', fieldsUrl(), {
      key: 'tshirt',
      label: 'Again',
      type: 'text',
    });
    assert.equal(reused.statusCode, 409);

    const entries = (await historyOf(await region(), spaceId)).filter(
      (e) => e.target.type === 'customField',
    );
    assert.deepEqual(
      entries.map((e) => [e.action, e.actor.role, e.changes]),
      [
        [
          'customField.create',
          'admin',
          [
            { field: 'label', from: null, to: 'T-shirt' },
            { field: 'type', from: null, to: 'choice' },
            { field: 'choices', from: null, to: ['S', 'M'] },
          ],
        ],
        [
          'customField.update',
          'superadmin',
          [
            { field: 'label', from: 'T-shirt', to: 'Shirt size' },
            { field: 'choices', from: ['S', 'M'], to: ['S', 'M', 'L'] },
          ],
        ],
        ['customField.delete', 'admin', []],
      ],
    );
  });

  test('invalid definitions are 400, a taken key 409, and organizers and volunteers are refused (403)', async () => {
    assert.equal(
      (await t.request(owner, 'POST', fieldsUrl(), { key: 'age', label: 'Age', type: 'number' }))
        .statusCode,
      201,
    );
    const count = await entryCount(await region(), spaceId);
    const invalid: object[] = [
      { key: 'Age', label: 'Age', type: 'number' },
      { key: '1st', label: 'First', type: 'text' },
      { key: 'x', label: 'X', type: 'colour' },
      { key: 'x', label: 'X', type: 'choice' },
      { key: 'x', label: 'X', type: 'text', choices: ['a'] },
      { key: 'x', label: 'X', type: 'choice', choices: ['a', 'a'] },
      { key: 'x', label: 'X\u0000', type: 'text' },
      { key: 'x', label: 'X', type: 'text', extra: 1 },
    ];
    for (const payload of invalid) {
      const response = await t.request(owner, 'POST', fieldsUrl(), payload);
      assert.equal(response.statusCode, 400, `${JSON.stringify(payload)}: ${response.body}`);
    }
    assert.equal(
      (await t.request(owner, 'PATCH', fieldsUrl('/age'), { choices: ['1'] })).statusCode,
      400,
    );
    assert.equal(
      (await t.request(owner, 'PATCH', fieldsUrl('/age'), { type: 'text' })).statusCode,
      400,
    );
    const taken = await t.request(owner, 'POST', fieldsUrl(), {
      key: 'age',
      label: 'Age again',
      type: 'text',
    });
    assert.equal(taken.statusCode, 409);
    assert.equal(body<ErrorBody>(taken).error.code, 'conflict');
    for (const user of [organizer, volunteer]) {
      assert.equal(
        (await t.request(user, 'POST', fieldsUrl(), { key: 'y', label: 'Y', type: 'text' }))
          .statusCode,
        403,
      );
      assert.equal(
        (await t.request(user, 'PATCH', fieldsUrl('/age'), { label: 'Y' })).statusCode,
        403,
      );
      assert.equal((await t.request(user, 'DELETE', fieldsUrl('/age'))).statusCode, 403);
    }
    assert.equal(await entryCount(await region(), spaceId), count);
    const ages = body<{ items: FieldBody[] }>(
      await t.request(organizer, 'GET', fieldsUrl()),
    ).items.filter((f) => f.key === 'age');
    assert.deepEqual(
      ages.map((f) => f.label),
      ['Age'],
    );
  });

  test('settings: admins read and change them; each change is a settings.update entry', async () => {
    const settingsUrl = `/api/v1/spaces/${spaceId}/settings`;
    const initial = await t.request(admin, 'GET', settingsUrl);
    assert.equal(initial.statusCode, 200, initial.body);
    assert.deepEqual(body(initial), { requireStaffApproval: false });
    for (const user of [organizer, volunteer]) {
      assert.equal((await t.request(user, 'GET', settingsUrl)).statusCode, 403);
      assert.equal(
        (await t.request(user, 'PATCH', settingsUrl, { requireStaffApproval: true })).statusCode,
        403,
      );
    }
    assert.equal(
      (await t.request(owner, 'PATCH', settingsUrl, { requireStaffApproval: 'yes' })).statusCode,
      400,
    );
    assert.equal((await t.request(owner, 'PATCH', settingsUrl, { theme: 'dark' })).statusCode, 400);
    const count = await entryCount(await region(), spaceId);
    const changed = await t.request(owner, 'PATCH', settingsUrl, { requireStaffApproval: true });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.deepEqual(body(changed), { requireStaffApproval: true });
    assert.deepEqual(body(await t.request(admin, 'GET', settingsUrl)), {
      requireStaffApproval: true,
    });
    assert.equal(
      (await t.request(owner, 'PATCH', settingsUrl, { requireStaffApproval: true })).statusCode,
      200,
    );
    assert.equal((await t.request(owner, 'PATCH', settingsUrl, {})).statusCode, 200);
    const entries = (await historyOf(await region(), spaceId)).slice(count);
    assert.deepEqual(
      entries.map((e) => [e.action, e.target, e.changes]),
      [
        [
          'settings.update',
          { type: 'space', id: spaceId },
          [{ field: 'requireStaffApproval', from: false, to: true }],
        ],
      ],
    );
  });
});
