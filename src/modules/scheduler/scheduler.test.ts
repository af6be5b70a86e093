import assert from 'node:assert/strict';
import { test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { duePeriod, parseTimeOfDay } from './schedule.ts';
import { latestRuns } from './scheduled-run.repository.ts';
import { type ScheduledJob, Scheduler } from './scheduler.ts';

const quiet = { info: () => undefined, error: () => undefined };

test('a daily job is due from its time until the end of the UTC day', () => {
  const daily = { kind: 'daily', at: '02:30' } as const;
  assert.equal(duePeriod(daily, new Date('2026-12-02T02:29:59Z')), null);
  assert.equal(duePeriod(daily, new Date('2026-12-02T02:30:00Z')), '2026-12-02');
  assert.equal(duePeriod(daily, new Date('2026-12-02T23:59:59Z')), '2026-12-02');
  assert.equal(duePeriod(daily, new Date('2026-12-03T00:00:00Z')), null);
});

test('a job every n minutes has one period per slot', () => {
  const every = { kind: 'every', minutes: 15 } as const;
  assert.equal(duePeriod(every, new Date('2026-12-02T10:14:59Z')), '2026-12-02T10:00Z');
  assert.equal(duePeriod(every, new Date('2026-12-02T10:15:00Z')), '2026-12-02T10:15Z');
});

test('a time of day is HH:MM, 24 h', () => {
  assert.deepEqual(parseTimeOfDay('00:00'), [0, 0]);
  assert.deepEqual(parseTimeOfDay('23:59'), [23, 59]);
  for (const bad of ['24:00', '2:30', '02:60', 'noon', '']) {
    assert.throws(() => parseTimeOfDay(bad), /time of day/);
  }
});

forEachEngine('scheduler', (env) => {
  let now = new Date('2026-12-02T03:00:00Z');
  const clock = () => now;
  const platform = () => env().stores.platform();

  test('two instances ticking at once run a due job once, and not again that day', async () => {
    let runs = 0;
    const job: ScheduledJob = {
      name: 'test.once',
      schedule: { kind: 'daily', at: '02:00' },
      async run() {
        runs += 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
        return { done: true };
      },
    };
    const a = new Scheduler(platform, [job], clock, quiet);
    const b = new Scheduler(platform, [job], clock, quiet);
    await Promise.all([a.tick(), b.tick(), a.tick()]);
    assert.equal(runs, 1);
    await Promise.all([a.tick(), b.tick()]);
    assert.equal(runs, 1, 'the same period does not run twice');
    now = new Date('2026-12-03T02:00:00Z');
    await b.tick();
    assert.equal(runs, 2, 'the next day runs again');
    const [latest] = await latestRuns(await platform(), 'test.once', 1);
    assert.equal(latest?.period, '2026-12-03');
    assert.equal(latest?.ok, true);
    assert.deepEqual(latest?.outcome, { done: true });
  });

  test('a failed run is recorded and tried again after the back-off, at most three times', async () => {
    now = new Date('2026-12-02T03:00:00Z');
    let attempts = 0;
    const job: ScheduledJob = {
      name: 'test.failing',
      schedule: { kind: 'daily', at: '02:00' },
      async run() {
        attempts += 1;
        throw new Error('disk full');
      },
    };
    const scheduler = new Scheduler(platform, [job], clock, quiet);
    await scheduler.tick();
    const [failed] = await latestRuns(await platform(), 'test.failing', 1);
    assert.equal(failed?.ok, false);
    assert.deepEqual(failed?.outcome, { error: 'disk full' });
    await scheduler.tick();
    assert.equal(attempts, 1, 'not before the back-off');
    for (const minutes of [16, 32, 48, 64]) {
      now = new Date(Date.parse('2026-12-02T03:00:00Z') + minutes * 60_000);
      await scheduler.tick();
    }
    assert.equal(attempts, 3);
  });

  test('a run whose instance died is taken over once its lease has run out', async () => {
    now = new Date('2026-12-02T03:00:00Z');
    let finished = 0;
    let release: () => void = () => undefined;
    const stuck: ScheduledJob = {
      name: 'test.lease',
      schedule: { kind: 'daily', at: '02:00' },
      leaseMinutes: 10,
      run: () =>
        new Promise((resolve) => {
          release = () => resolve('late');
        }),
    };
    const dead = new Scheduler(platform, [stuck], clock, quiet);
    const claimed = dead.tick();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const survivor = new Scheduler(
      platform,
      [{ ...stuck, run: async () => (finished += 1) }],
      clock,
      quiet,
    );
    await survivor.tick();
    assert.equal(finished, 0, 'the lease still holds');
    now = new Date('2026-12-02T03:11:00Z');
    await survivor.tick();
    assert.equal(finished, 1, 'taken over after the lease');
    release();
    await claimed;
  });

  test('stop() aborts the signal running jobs see, and waits for them', async () => {
    now = new Date('2026-12-02T03:00:00Z');
    let sawAbort = false;
    const job: ScheduledJob = {
      name: 'test.stop',
      schedule: { kind: 'every', minutes: 5 },
      run: ({ signal }) =>
        new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            sawAbort = true;
            resolve('stopped');
          });
        }),
    };
    const scheduler = new Scheduler(platform, [job], clock, quiet);
    const ticking = scheduler.tick();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await scheduler.stop();
    await ticking;
    assert.equal(sawAbort, true);
    const [run] = await latestRuns(await platform(), 'test.stop', 1);
    assert.equal(run?.ok, true);
  });
});
