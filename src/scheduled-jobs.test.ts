import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../test/harness/test-app.ts';
import { systemClock } from './context.ts';
import { ensureCheckpointKeys } from './modules/history/checkpoint-keys.ts';
import { Scheduler } from './modules/scheduler/scheduler.ts';
import { scheduledJobs } from './scheduled-jobs.ts';

const quiet = { info: () => undefined, error: () => undefined };

forEachEngine('scheduled jobs of kith serve', (env) => {
  let t: TestApp;
  let owner: TestUser;
  let spaceId = '';

  before(async () => {
    await ensureCheckpointKeys(env().config);
    t = await createTestApp(env());
    owner = await t.user('Owner');
    spaceId = await t.space(owner);
  });
  after(() => t.close());

  test('the daily checkpoint job signs the head of every Space whose history moved, once a day', async () => {
    const checkpoints = async () =>
      (
        (await t.request(owner, 'GET', `/api/v1/spaces/${spaceId}/history/checkpoints`)).json() as {
          items: { seq: number }[];
        }
      ).items;
    assert.deepEqual(await checkpoints(), []);
    const afterTheTime = new Date();
    afterTheTime.setUTCHours(23, 59, 0, 0);
    const jobs = scheduledJobs(env().config, env().stores, systemClock);
    const scheduler = new Scheduler(
      () => env().stores.platform(),
      jobs,
      () => afterTheTime,
      quiet,
    );
    await scheduler.tick();
    const signed = await checkpoints();
    assert.equal(signed.length, 1);
    assert.equal(signed[0]?.seq, 1, 'the head: the Space’s creation');
    await t.request(owner, 'POST', `/api/v1/spaces/${spaceId}/contacts`, { firstName: 'Ada' });
    await scheduler.tick();
    assert.equal((await checkpoints()).length, 1, 'once a day, however often it ticks');
  });

  test('the sweeps of files holding personal data are scheduled: expired exports, abandoned uploads', () => {
    const names = scheduledJobs(env().config, env().stores, systemClock).map((job) => job.name);
    assert.ok(names.includes('exports.sweep'));
    assert.ok(names.includes('imports.sweep'));
  });
});
