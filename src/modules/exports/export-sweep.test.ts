import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';
import type { Caller } from '../../context.ts';
import { findExport, insertExport } from './export.repository.ts';
import { exportPath } from './export-storage.ts';
import { sweepExports } from './export-sweep.ts';
import { exportAndWait } from './exports.test-support.ts';

const dayMs = 24 * 60 * 60 * 1000;
const callerOf = (user: TestUser): Caller => ({
  actor: { type: 'user', id: user.id, name: user.name },
  source: 'api',
});

forEachEngine('export expiry', (env) => {
  let t: TestApp;
  let owner: TestUser;
  let spaceId = '';

  before(async () => {
    t = await createTestApp(env());
    owner = await t.user('Owner');
    spaceId = await t.space(owner);
  });
  after(async () => {
    await t.services.exports.idle();
    await t.close();
  });

  test('a file is kept 7 days, then the sweep deletes it; the job reads expired and keeps its digest', async () => {
    const status = await exportAndWait(t, owner, spaceId, 'csv');
    assert.equal(status.status, 'completed');
    const db = await env().stores.region('eu');
    const record = await findExport(db, spaceId, status.id);
    assert.ok(record);
    assert.equal(record.expiresAt.getTime() - record.createdAt.getTime(), 7 * dayMs);
    const path = exportPath(env().config, 'eu', record.fileName);
    const deps = { config: env().config, stores: env().stores, clock: t.clock.now };

    t.clock.advance(6 * dayMs);
    assert.deepEqual(await sweepExports(deps), { expired: 0, abandoned: 0 });
    await stat(path);

    t.clock.advance(1 * dayMs + 1000);
    assert.equal((await sweepExports(deps)).expired, 1);
    await assert.rejects(stat(path), 'the file is deleted');
    // The clock moved past the session's life: ask the service as the owner.
    const caller = callerOf(owner);
    const expired = await t.services.exports.get(caller, spaceId, status.id);
    assert.equal(expired.status, 'expired');
    assert.equal(expired.sha256, status.sha256);
    await assert.rejects(t.services.exports.download(caller, spaceId, status.id), {
      code: 'not_found',
    });
  });

  test('a job whose server died is failed by the sweep', async () => {
    const db = await env().stores.region('eu');
    const id = '5f0c1b8e-0000-4000-8000-000000000001';
    const at = t.clock.now();
    await insertExport(db, spaceId, {
      id,
      format: 'json',
      fileName: `kith-export-${id}.json`,
      createdBy: owner.id,
      at,
      expiresAt: new Date(at.getTime() + 7 * dayMs),
    });
    await db.query(`UPDATE exports SET status = 'running' WHERE space_id = $1 AND id = $2`, [
      spaceId,
      id,
    ]);
    t.clock.advance(2 * 60 * 60 * 1000);
    const deps = { config: env().config, stores: env().stores, clock: t.clock.now };
    assert.equal((await sweepExports(deps)).abandoned, 1);
    const caller = callerOf(owner);
    assert.equal((await t.services.exports.get(caller, spaceId, id)).status, 'failed');
    await assert.rejects(t.services.exports.download(caller, spaceId, id), { code: 'conflict' });
  });
});
