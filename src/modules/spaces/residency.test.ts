import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';
import type { TestEnv } from '../../../test/harness/test-env.ts';
import { loadConfig } from '../../config.ts';
import { isAppError } from '../../errors.ts';
import { regionForCountry } from './residency.ts';
import { insertSpaceHome } from './space-home.repository.ts';

const defaults = loadConfig({ KITH_DATA: '/nonexistent/kith' }).residency;

const expectedDefaults: [string, string][] = [
  ['FR', 'eu'],
  ['DE', 'eu'],
  ['NO', 'eu'],
  ['IS', 'eu'],
  ['GB', 'uk'],
  ['US', 'us'],
  ['CA', 'ca'],
  ['AU', 'au'],
  ['NZ', 'au'],
];

for (const [country, region] of expectedDefaults) {
  test(`by default a Space of ${country} lives in ${region}`, () => {
    assert.equal(regionForCountry(defaults, country), region);
    assert.equal(
      regionForCountry(defaults, country.toLowerCase()),
      region,
      'lower case is the same country',
    );
  });
}

/** The error `fn` throws, which must be an invalid_input AppError. */
function invalidInputOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    assert.ok(isAppError(error), `expected an AppError, got ${String(error)}`);
    assert.equal(error.code, 'invalid_input');
    return error;
  }
  assert.fail('expected an error');
}

test('a country without a region is invalid input naming the country', () => {
  assert.match(invalidInputOf(() => regionForCountry(defaults, 'JP')).message, /\bJP\b/);
  assert.match(invalidInputOf(() => regionForCountry(defaults, 'jp')).message, /\bJP\b/);
});

test('KITH_RESIDENCY adds, moves and removes countries', () => {
  const policy = loadConfig({
    KITH_DATA: '/nonexistent/kith',
    KITH_RESIDENCY: 'JP=us,ch=eu,FR=none,NO=uk',
  }).residency;
  assert.equal(regionForCountry(policy, 'JP'), 'us');
  assert.equal(regionForCountry(policy, 'CH'), 'eu');
  assert.equal(regionForCountry(policy, 'NO'), 'uk');
  assert.match(invalidInputOf(() => regionForCountry(policy, 'FR')).message, /\bFR\b/);
  assert.equal(regionForCountry(policy, 'DE'), 'eu', 'other countries keep their default');
});

test('KITH_REGIONS removes regions: their countries have no region', () => {
  const policy = loadConfig({ KITH_DATA: '/nonexistent/kith', KITH_REGIONS: 'eu,us' }).residency;
  assert.equal(regionForCountry(policy, 'FR'), 'eu');
  assert.equal(regionForCountry(policy, 'US'), 'us');
  for (const country of ['GB', 'CA', 'AU', 'NZ']) {
    assert.match(
      invalidInputOf(() => regionForCountry(policy, country)).message,
      new RegExp(`\\b${country}\\b`),
    );
  }
});

/** Where a Space's home row is, across every configured region store. */
async function homesOf(env: TestEnv, spaceId: string): Promise<string[]> {
  const found: string[] = [];
  for (const region of env.config.regions) {
    const db = await env.stores.region(region);
    const { rows } = await db.query<{ region: string }>(
      'SELECT region FROM spaces WHERE space_id = $1',
      [spaceId],
    );
    if (rows.length > 0) {
      found.push(`${region}:${rows[0]?.region}`);
    }
  }
  return found;
}

forEachEngine('residency of Spaces', (env) => {
  let t: TestApp;
  let owner: TestUser;
  before(async () => {
    t = await createTestApp(env());
    owner = await t.user('Residency Owner');
  });
  after(() => t.close());

  for (const [country, region] of [
    ['FR', 'eu'],
    ['GB', 'uk'],
    ['US', 'us'],
    ['CA', 'ca'],
    ['NZ', 'au'],
  ]) {
    test(`a Space of ${country} has its home in the ${region} store and in no other`, async () => {
      const response = await t.request(owner, 'POST', '/api/v1/spaces', {
        name: `In ${country}`,
        country,
      });
      assert.equal(response.statusCode, 201, response.body);
      const space = response.json() as { id: string; region: string; country: string };
      assert.equal(space.region, region);
      assert.equal(space.country, country);
      assert.deepEqual(await homesOf(env(), space.id), [`${region}:${region}`]);
      const platform = await env().stores.platform();
      const registry = await platform.query('SELECT region, country FROM spaces WHERE id = $1', [
        space.id,
      ]);
      assert.deepEqual(registry.rows, [{ region, country }]);
    });
  }

  test('a lower-case country is stored upper-case', async () => {
    const response = await t.request(owner, 'POST', '/api/v1/spaces', {
      name: 'Lower',
      country: 'de',
    });
    assert.equal(response.statusCode, 201, response.body);
    assert.equal((response.json() as { country: string }).country, 'DE');
  });

  test('a country with no region is a 400 naming it, and registers nothing', async () => {
    const platform = await env().stores.platform();
    const before = await platform.query('SELECT count(*)::int AS n FROM spaces');
    const response = await t.request(owner, 'POST', '/api/v1/spaces', {
      name: 'Tokyo',
      country: 'JP',
    });
    assert.equal(response.statusCode, 400);
    const body = response.json() as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'invalid_input');
    assert.match(body.error.message, /\bJP\b/);
    assert.deepEqual(
      (await platform.query('SELECT count(*)::int AS n FROM spaces')).rows,
      before.rows,
    );
  });

  test('a region store refuses the home of a Space of another region', async () => {
    const us = await env().stores.region('us');
    const eu = await env().stores.region('eu');
    const id = randomUUID();
    await assert.rejects(
      insertSpaceHome(us, { spaceId: id, region: 'eu', country: 'FR', createdAt: new Date() }),
      /residency: Space .* belongs to region eu, this store holds region us/,
    );
    await assert.rejects(
      insertSpaceHome(eu, { spaceId: id, region: 'us', country: 'US', createdAt: new Date() }),
      /residency: Space .* belongs to region us, this store holds region eu/,
    );
    await assert.rejects(
      eu.query(`UPDATE spaces SET region = 'us' WHERE region = 'eu'`),
      /residency: Space .* belongs to region us/,
    );
    assert.deepEqual(await homesOf(env(), id), []);
  });

  test('when the region store refuses the home row, the registry keeps nothing', async () => {
    const owned = await env().owner('region_ca');
    await owned.query(
      `ALTER TABLE spaces ADD CONSTRAINT test_refuse_ca CHECK (country <> 'CA') NOT VALID`,
    );
    try {
      const platform = await env().stores.platform();
      const before = await platform.query(
        'SELECT (SELECT count(*)::int FROM spaces) AS s, (SELECT count(*)::int FROM memberships) AS m',
      );
      const response = await t.request(owner, 'POST', '/api/v1/spaces', {
        name: 'Refused',
        country: 'CA',
      });
      assert.equal(response.statusCode, 500);
      const after = await platform.query(
        'SELECT (SELECT count(*)::int FROM spaces) AS s, (SELECT count(*)::int FROM memberships) AS m',
      );
      assert.deepEqual(after.rows, before.rows);
    } finally {
      await owned.query('ALTER TABLE spaces DROP CONSTRAINT test_refuse_ca');
    }
  });
});

forEachEngine(
  'residency as the operator configures it',
  (env) => {
    let t: TestApp;
    let owner: TestUser;
    before(async () => {
      t = await createTestApp(env());
      owner = await t.user('Configured Owner');
    });
    after(() => t.close());

    test('KITH_RESIDENCY=JP=us puts a Space of JP in the us store; KITH_REGIONS leaves GB without one', async () => {
      const response = await t.request(owner, 'POST', '/api/v1/spaces', {
        name: 'Tokyo',
        country: 'JP',
      });
      assert.equal(response.statusCode, 201, response.body);
      const space = response.json() as { id: string; region: string };
      assert.equal(space.region, 'us');
      assert.deepEqual(await homesOf(env(), space.id), ['us:us']);
      const refused = await t.request(owner, 'POST', '/api/v1/spaces', {
        name: 'London',
        country: 'GB',
      });
      assert.equal(refused.statusCode, 400);
      assert.match((refused.json() as { error: { message: string } }).error.message, /\bGB\b/);
    });
  },
  { env: { KITH_RESIDENCY: 'JP=us', KITH_REGIONS: 'eu,us' } },
);
