import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { forEachEngine } from '../../test/harness/engines.ts';
import { DatabaseRoleSecrets } from './database-roles.ts';
import { storeLocation, withCredentials } from './store-locations.ts';
import { allStoreNames, type StoreName } from './store-names.ts';
import { migrateStore } from './stores.ts';

async function tryConnect(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return 'connected';
  } catch (error) {
    return String((error as Error).message);
  } finally {
    await client.end().catch(() => undefined);
  }
}

forEachEngine('per-store PostgreSQL roles', (env, engine) => {
  test('one store’s credentials cannot open another store’s database', {
    skip: engine === 'pglite' ? 'PGlite: each store is its own directory, with no roles' : false,
  }, async () => {
    const { config } = env();
    const names = allStoreNames(config.regions).filter((n) =>
      ['platform', 'region_eu', 'region_us', 'hr', 'sales', 'support'].includes(n),
    );
    for (const name of names) {
      await migrateStore(config, name);
    }
    const secrets = new DatabaseRoleSecrets(config.dataDir);
    const credentialsOf = async (name: StoreName) => {
      const location = storeLocation(config, name);
      assert.equal(location.engine, 'postgres');
      if (location.engine !== 'postgres' || !location.provisioned) {
        throw new Error('not provisioned');
      }
      const password = await secrets.passwordOf(location.provisioned.role);
      assert.ok(password, `a password is kept for ${name}`);
      return { role: location.provisioned.role, password: password ?? '' };
    };
    for (const own of names) {
      const { role, password } = await credentialsOf(own);
      for (const other of names) {
        const target = storeLocation(config, other);
        if (target.engine !== 'postgres') {
          continue;
        }
        const outcome = await tryConnect(withCredentials(target.adminUrl, role, password));
        if (own === other) {
          assert.equal(outcome, 'connected', `${own} opens its own database`);
        } else {
          assert.match(
            outcome,
            /permission denied for database/,
            `${own}'s role must not open ${other}`,
          );
        }
      }
    }
  });

  test('a store role cannot create tables or touch the migration ledger', {
    skip: engine === 'pglite' ? 'PGlite has no roles' : false,
  }, async () => {
    const { stores } = env();
    const platform = await stores.platform();
    await assert.rejects(platform.query('CREATE TABLE intruder (id int)'), /permission denied/);
    await assert.rejects(platform.query(`DELETE FROM kith_schema_migrations`), /permission denied/);
    await assert.rejects(platform.query(`UPDATE kith_store SET name = 'hr'`), /permission denied/);
  });
});
