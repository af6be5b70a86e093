import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runBackups } from '../../src/modules/backups/backup-operations.ts';
import { ensureMasterKeys } from '../../src/modules/backups/master-key-files.ts';
import { ensureCheckpointKeys } from '../../src/modules/history/checkpoint-keys.ts';
import { importAndWait } from '../../src/modules/imports/imports.test-support.ts';
import {
  permissionFor,
  type SpaceRole,
  spaceRoles,
} from '../../src/modules/spaces/space-policy.ts';
import { forEachEngine } from '../harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../harness/test-app.ts';
import { exampleFor, fillPath, type Operation, operationsOf } from './openapi-cases.ts';
import { snapshotSpace } from './space-snapshot.ts';

/**
 * Deliverable 8 of issue #2, generated from the OpenAPI document: every route
 * that takes an id is replayed with another Space's ids (404, nothing changes
 * there) and, in the caller's own Space, by each role the policy refuses (403,
 * nothing changes). A route the generator cannot build a case for fails the suite.
 */
forEachEngine('isolation over every route with an id', (env) => {
  let t: TestApp;
  let owner: TestUser;
  let otherOwner: TestUser;
  let otherMember: TestUser;
  let outsider: TestUser;
  const byRole = new Map<SpaceRole, TestUser>();
  let spaceA = '';
  let spaceB = '';
  let contactA = '';
  let contactB = '';
  let exportA = '';
  let exportB = '';
  let importA = '';
  let importB = '';
  let grantA = '';
  let grantB = '';
  let backupA = '';
  let backupB = '';
  let operations: Operation[] = [];

  before(async () => {
    t = await createTestApp(env());
    owner = await t.user('Owner A');
    otherOwner = await t.user('Owner B');
    otherMember = await t.user('Member B');
    outsider = await t.user('Outsider');
    byRole.set('superadmin', owner);
    for (const role of ['admin', 'organizer', 'volunteer'] as const) {
      byRole.set(role, await t.user(`${role} A`));
    }
    spaceA = await t.space(owner, {
      members: (['admin', 'organizer', 'volunteer'] as const).map((r) => [
        byRole.get(r) as TestUser,
        r,
      ]),
    });
    spaceB = await t.space(otherOwner, { members: [[otherMember, 'volunteer']] });
    const seed = async (user: TestUser, space: string, field: string) => {
      const contact = await t.request(user, 'POST', `/api/v1/spaces/${space}/contacts`, {
        firstName: `Contact ${field}`,
      });
      assert.equal(contact.statusCode, 201, contact.body);
      const custom = await t.request(user, 'POST', `/api/v1/spaces/${space}/custom-fields`, {
        key: field,
        label: 'F',
        type: 'text',
      });
      assert.equal(custom.statusCode, 201, custom.body);
      return (contact.json() as { id: string }).id;
    };
    contactA = await seed(owner, spaceA, 'field_a');
    contactB = await seed(otherOwner, spaceB, 'field_b');
    const seedExport = async (user: TestUser, space: string) => {
      const created = await t.request(user, 'POST', `/api/v1/spaces/${space}/exports`, {
        format: 'json',
      });
      assert.equal(created.statusCode, 202, created.body);
      const { id } = created.json() as { id: string };
      await t.services.exports.settled(id);
      return id;
    };
    exportA = await seedExport(owner, spaceA);
    exportB = await seedExport(otherOwner, spaceB);
    importA = (await importAndWait(t, owner, spaceA, 'email\na@example.org\n')).id;
    importB = (await importAndWait(t, otherOwner, spaceB, 'email\nb@example.org\n')).id;
    const cto = await t.staff('cto');
    const grant = async (space: string) => {
      const opened = await t.request(cto, 'POST', '/api/v1/staff/access', {
        spaceId: space,
        reason: 'isolation test seed grant',
      });
      assert.equal(opened.statusCode, 201, opened.body);
      return (opened.json() as { id: string }).id;
    };
    grantA = await grant(spaceA);
    grantB = await grant(spaceB);
    await ensureMasterKeys(env().config);
    await ensureCheckpointKeys(env().config);
    const backup = async (space: string) => {
      const deps = { config: env().config, stores: env().stores, now: () => new Date() };
      const made = (await runBackups(deps, { spaceId: space })).made[0]?.backupId;
      assert.ok(made, `a backup of ${space}`);
      return made;
    };
    backupA = await backup(spaceA);
    backupB = await backup(spaceB);
    operations = operationsOf(t.app.swagger()).filter((o) => o.pathParams.length > 0);
  });
  after(async () => {
    await t.services.exports.idle();
    await t.close();
  });

  /**
   * Ids of the department stores' records (sales, support, hr): not a Space's, so
   * the same for A and B; users of Spaces must get 404 for all of them.
   */
  const departmentIds = {
    organisationId: '00000000-0000-4000-8000-0000000000a1',
    leadId: '00000000-0000-4000-8000-0000000000a2',
    dealId: '00000000-0000-4000-8000-0000000000a3',
    ticketId: '00000000-0000-4000-8000-0000000000a4',
    staffId: '00000000-0000-4000-8000-0000000000a5',
  };

  /** The ids of a Space's objects, by path parameter name. */
  const idsOf = (space: 'A' | 'B'): Record<string, string> =>
    space === 'A'
      ? {
          ...departmentIds,
          spaceId: spaceA,
          userId: (byRole.get('volunteer') as TestUser).id,
          contactId: contactA,
          key: 'field_a',
          exportId: exportA,
          importId: importA,
          grantId: grantA,
          backupId: backupA,
        }
      : {
          ...departmentIds,
          spaceId: spaceB,
          userId: otherMember.id,
          contactId: contactB,
          key: 'field_b',
          exportId: exportB,
          importId: importB,
          grantId: grantB,
          backupId: backupB,
        };

  const bodyFor = (operation: Operation) =>
    operation.bodySchema
      ? exampleFor(operation.bodySchema, { email: outsider.email, role: 'volunteer' })
      : undefined;

  const actionOf = (operation: Operation) =>
    t.app.routeCatalogue.find(
      (r) => r.method === operation.method && r.url === operation.path.replace(/\{(\w+)\}/g, ':$1'),
    )?.config.spaceAction;

  test('every route with an id has a generated case', () => {
    assert.ok(operations.length >= 4, `found ${operations.length} routes with ids`);
    const missing: string[] = [];
    for (const operation of operations) {
      const filled = fillPath(operation, idsOf('B'));
      if (typeof filled !== 'string') {
        missing.push(
          `${operation.method} ${operation.path}: no id for ${filled.missing.join(', ')}`,
        );
      }
      if (operation.path.startsWith('/api/v1/spaces/{spaceId}') && !actionOf(operation)) {
        missing.push(`${operation.method} ${operation.path}: no config.spaceAction`);
      }
    }
    assert.deepEqual(missing, []);
  });

  test('every non-public route answers 401 without a session, and with a forged token', async () => {
    const failures: string[] = [];
    for (const route of t.app.routeCatalogue) {
      if (route.config.public || !route.url.startsWith('/api/v1/')) {
        continue;
      }
      const url = route.url.replace(
        /:(\w+)/g,
        (_, name: string) => idsOf('A')[name] ?? '00000000-0000-4000-8000-000000000000',
      );
      for (const authorization of [undefined, `Bearer ${'A'.repeat(43)}`]) {
        const response = await t.app.inject({
          method: route.method as 'GET',
          url,
          headers: authorization ? { authorization } : {},
          payload: route.method === 'GET' || route.method === 'DELETE' ? undefined : {},
        });
        if (response.statusCode !== 401) {
          failures.push(
            `${route.method} ${route.url} ${authorization ? 'forged token' : 'no session'}: ${response.statusCode}`,
          );
        }
      }
    }
    assert.deepEqual(failures, []);
  });

  test('another Space’s ids answer 404, for every route and caller, and change nothing there', async () => {
    const before = await snapshotSpace(env(), spaceB);
    const failures: string[] = [];
    for (const operation of operations) {
      const foreign = fillPath(operation, idsOf('B'));
      const mixed = fillPath(operation, { ...idsOf('B'), spaceId: spaceA });
      const own = fillPath(operation, idsOf('A'));
      const attempts: [TestUser, string | { missing: string[] }, string][] = [
        [owner, foreign, 'superadmin of A with B’s ids'],
        [byRole.get('admin') as TestUser, foreign, 'admin of A with B’s ids'],
        [outsider, own, 'a user of no Space with A’s ids'],
      ];
      if (operation.pathParams.length > 1) {
        attempts.push([owner, mixed, 'superadmin of A with A’s Space id and B’s object ids']);
      }
      for (const [caller, url, who] of attempts) {
        if (typeof url !== 'string') {
          continue;
        }
        const response = await t.request(
          caller,
          operation.method as 'GET',
          url,
          bodyFor(operation),
        );
        if (response.statusCode !== 404) {
          failures.push(
            `${operation.method} ${operation.path} as ${who}: ${response.statusCode} ${response.body.slice(0, 120)}`,
          );
        } else {
          assert.equal((response.json() as { error: { code: string } }).error.code, 'not_found');
        }
      }
    }
    assert.deepEqual(failures, []);
    assert.equal(await snapshotSpace(env(), spaceB), before, 'Space B is unchanged');
  });

  test('in its own Space, each role the policy refuses gets 403 and nothing changes', async () => {
    const before = await snapshotSpace(env(), spaceA);
    const failures: string[] = [];
    let cases = 0;
    for (const operation of operations) {
      const action = actionOf(operation);
      const url = fillPath(operation, idsOf('A'));
      if (!action || typeof url !== 'string') {
        continue;
      }
      for (const role of spaceRoles) {
        if (permissionFor(role, action) !== 'none') {
          continue;
        }
        cases += 1;
        const response = await t.request(
          byRole.get(role) ?? null,
          operation.method as 'GET',
          url,
          bodyFor(operation),
        );
        if (response.statusCode !== 403) {
          failures.push(`${operation.method} ${operation.path} as ${role}: ${response.statusCode}`);
        }
      }
    }
    assert.ok(cases > 0, 'some role is refused some route');
    assert.deepEqual(failures, []);
    assert.equal(await snapshotSpace(env(), spaceA), before, 'Space A is unchanged');
  });
});
