/**
 * Issue #6's figure: what a staff grant check adds to a Space route. The same
 * route (`GET /api/v1/spaces/:id/contacts/:contactId`) is requested in-process,
 * interleaved, by a member (organizer) and by the cto under a live grant, in the
 * same run; the staff path finds the staff session, the Space and its live grant
 * (each cached per instance, kept honest by the hr and platform change feeds),
 * and records the use durably (one INSERT that also proves the grant live); the
 * relay turns recorded uses into `staff.access` history entries in batches,
 * while the run goes on, so its cost is in the figures too. Goal: the staff p99
 * exceeds the member p99 by less than 2 ms.
 * Run: `npm run bench -- staff-grant` (BENCH_REQUESTS, default 2,000;
 * BENCH_ENGINES=pglite to skip PostgreSQL). The machine is shared: figures move.
 */

import { SpaceAccess } from '../src/modules/spaces/space-access.ts';
import { checkStaffGrant } from '../src/modules/staff/staff-space-access.ts';
import { PlatformChanges } from '../src/stores/platform-changes.ts';
import { createTestApp } from '../test/harness/test-app.ts';
import { createTestEnv, type EngineName } from '../test/harness/test-env.ts';
import { benchOnEngines, ratio } from './lib.ts';

const requests = Number(process.env.BENCH_REQUESTS ?? 2000);
const warmup = 200;

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

async function benchEngine(engine: EngineName): Promise<Record<string, string>> {
  const env = await createTestEnv(engine, {
    KITH_STAFF_GRANT_MINUTES: '1440',
    KITH_SESSION_IDLE_MINUTES: '1440',
  });
  const t = await createTestApp(env);
  try {
    const owner = await t.user('Owner');
    const member = await t.user('Member');
    const spaceId = await t.space(owner, { members: [[member, 'organizer']] });
    const created = await t.request(owner, 'POST', `/api/v1/spaces/${spaceId}/contacts`, {
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'ada@example.org',
    });
    const url = `/api/v1/spaces/${spaceId}/contacts/${created.json().id}`;
    const cto = await t.staff('cto');
    const opened = await t.request(cto, 'POST', '/api/v1/staff/access', {
      spaceId,
      reason: 'benchmark: grant check overhead',
    });
    if (opened.statusCode !== 201) {
      throw new Error(`grant: ${opened.statusCode} ${opened.body}`);
    }
    // The access gate alone, in-process, same run: the member's membership look-up
    // beside the staff check (registry + live grant + policy) and check + record
    // (what a staff request pays: the durable record of the use).
    const memberCaller = await t.services.identity.authenticate(member.token, { source: 'api' });
    const staffCaller = await t.services.identity.authenticate(cto.token, { source: 'api' });
    if (!memberCaller || !staffCaller) {
      throw new Error('no caller');
    }
    const deps = {
      config: env.config,
      stores: env.stores,
      clock: () => new Date(),
      // As the app has it: the Space's registry entry is served from memory.
      platformChanges: new PlatformChanges(() => env.stores.platform()),
    };
    const access = new SpaceAccess(deps as never);
    const gate = { member: [] as number[], check: [] as number[], checkAndRecord: [] as number[] };
    for (let i = 0; i < warmup + requests; i += 1) {
      const steps: [keyof typeof gate, () => Promise<unknown>][] = [
        ['member', () => access.require(memberCaller, spaceId, 'contacts.read')],
        ['check', () => checkStaffGrant(deps as never, staffCaller, spaceId, 'contacts.read')],
        ['checkAndRecord', () => access.require(staffCaller, spaceId, 'contacts.read')],
      ];
      for (const [name, step] of steps) {
        const t0 = performance.now();
        await step();
        if (i >= warmup) {
          gate[name].push(performance.now() - t0);
        }
      }
    }
    const samples = { member: [] as number[], staff: [] as number[] };
    for (let i = 0; i < warmup + requests; i += 1) {
      for (const [who, caller] of [
        ['member', member],
        ['staff', cto],
      ] as const) {
        const t0 = performance.now();
        const response = await t.request(caller, 'GET', url);
        const ms = performance.now() - t0;
        if (response.statusCode !== 200) {
          throw new Error(`${who}: ${response.statusCode} ${response.body}`);
        }
        if (i >= warmup) {
          samples[who].push(ms);
        }
      }
    }
    const memberP99 = percentile(samples.member, 99);
    const staffP99 = percentile(samples.staff, 99);
    return {
      engine,
      requests: String(requests),
      'member p50 ms': percentile(samples.member, 50).toFixed(2),
      'staff p50 ms': percentile(samples.staff, 50).toFixed(2),
      'member p99 ms': memberP99.toFixed(2),
      'staff p99 ms': staffP99.toFixed(2),
      'added p99 ms (goal < 2)': (staffP99 - memberP99).toFixed(2),
      'staff/member p99': ratio(staffP99, memberP99),
      'gate: member p50 ms': percentile(gate.member, 50).toFixed(2),
      'gate: staff check p50 ms': percentile(gate.check, 50).toFixed(2),
      'gate: member p99 ms': percentile(gate.member, 99).toFixed(2),
      'gate: staff check p99 ms': percentile(gate.check, 99).toFixed(2),
      'gate: check added p99 ms (goal < 2)': (
        percentile(gate.check, 99) - percentile(gate.member, 99)
      ).toFixed(2),
      'gate: check + record p99 ms': percentile(gate.checkAndRecord, 99).toFixed(2),
      'gate: check + record added p99 ms': (
        percentile(gate.checkAndRecord, 99) - percentile(gate.member, 99)
      ).toFixed(2),
    };
  } finally {
    await t.close();
    await env.close();
  }
}

await benchOnEngines(benchEngine);
