import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { operatorCaller, type StaffRole } from '../../src/context.ts';
import { forEachEngine } from '../harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../harness/test-app.ts';

/**
 * Staff role × route (SPEC 4.7), every staff route and a sample of Space routes,
 * with the expected status written out cell by cell. Columns: cto, the Space's
 * account manager, support, sales, hr, and a user of no Space. Rows run in
 * order: the grants row opens the grants the Space rows then use (on Space A
 * only; Space B never has one).
 */
type Column = StaffRole | 'user';
const columns: Column[] = ['cto', 'account_manager', 'support', 'sales', 'hr', 'user'];
type Row = [
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  body: unknown,
  expected: number[],
];

forEachEngine('staff role × route matrix', (env) => {
  let t: TestApp;
  const callers = new Map<Column, TestUser>();
  const ids: Record<string, string> = {};

  before(async () => {
    t = await createTestApp(env());
    for (const column of columns) {
      callers.set(column, column === 'user' ? await t.user('Una User') : await t.staff(column));
    }
    const owner = await t.user('Olga Owner');
    ids.spaceA = await t.space(owner);
    ids.spaceB = await t.space(owner);
    for (const space of ['A', 'B'] as const) {
      const created = await t.request(
        owner,
        'POST',
        `/api/v1/spaces/${ids[`space${space}`]}/contacts`,
        {
          firstName: `Contact ${space}`,
        },
      );
      ids[`contact${space}`] = created.json().id;
    }
    await t.services.staffAccounts.assign(
      operatorCaller(),
      (callers.get('account_manager') as TestUser).email,
      ids.spaceA,
    );
    const sales = callers.get('sales') as TestUser;
    const org = await t.request(sales, 'POST', '/api/v1/sales/organisations', { name: 'Org' });
    ids.organisation = org.json().id;
    const deal = await t.request(sales, 'POST', '/api/v1/sales/deals', {
      organisationId: ids.organisation,
      title: 'Deal',
    });
    ids.deal = deal.json().id;
    const support = callers.get('support') as TestUser;
    const ticket = await t.request(support, 'POST', '/api/v1/support/tickets', {
      subject: 'Help',
      requesterEmail: 'someone@example.org',
    });
    ids.ticket = ticket.json().id;
    ids.staff = (callers.get('sales') as TestUser).id;
    ids.userEmail = owner.email;
  });
  after(() => t.close());

  const rows = (): Row[] => {
    const { spaceA, spaceB, contactA, organisation, deal, ticket, staff } = ids;
    const grant = { spaceId: spaceA, reason: 'matrix test: checking an import' };
    //                                                                    cto  am   sup  sal  hr   user
    return [
      ['GET', '/api/v1/sales/organisations', undefined, [403, 403, 403, 200, 403, 404]],
      ['POST', '/api/v1/sales/organisations', { name: 'New' }, [403, 403, 403, 201, 403, 404]],
      [
        'GET',
        `/api/v1/sales/organisations/${organisation}`,
        undefined,
        [403, 403, 403, 200, 403, 404],
      ],
      [
        'PATCH',
        `/api/v1/sales/organisations/${organisation}`,
        { website: 'x.example' },
        [403, 403, 403, 200, 403, 404],
      ],
      ['GET', '/api/v1/sales/leads', undefined, [403, 403, 403, 200, 403, 404]],
      ['POST', '/api/v1/sales/leads', { contactName: 'Lee' }, [403, 403, 403, 201, 403, 404]],
      ['GET', '/api/v1/sales/deals', undefined, [403, 403, 403, 200, 403, 404]],
      ['GET', `/api/v1/sales/deals/${deal}`, undefined, [403, 403, 403, 200, 403, 404]],
      [
        'PATCH',
        `/api/v1/sales/deals/${deal}`,
        { stage: 'proposal' },
        [403, 403, 403, 200, 403, 404],
      ],
      [
        'GET',
        `/api/v1/sales/organisations/${organisation}/notes`,
        undefined,
        [403, 403, 403, 200, 403, 404],
      ],
      [
        'POST',
        `/api/v1/sales/organisations/${organisation}/notes`,
        { body: 'n' },
        [403, 403, 403, 201, 403, 404],
      ],
      ['GET', '/api/v1/support/tickets', undefined, [403, 403, 200, 403, 403, 404]],
      [
        'POST',
        '/api/v1/support/tickets',
        { subject: 's', requesterEmail: 'a@b.example' },
        [403, 403, 201, 403, 403, 404],
      ],
      ['GET', `/api/v1/support/tickets/${ticket}`, undefined, [403, 403, 200, 403, 403, 404]],
      [
        'PATCH',
        `/api/v1/support/tickets/${ticket}`,
        { status: 'pending' },
        [403, 403, 200, 403, 403, 404],
      ],
      [
        'GET',
        `/api/v1/support/tickets/${ticket}/messages`,
        undefined,
        [403, 403, 200, 403, 403, 404],
      ],
      [
        'POST',
        `/api/v1/support/tickets/${ticket}/messages`,
        { body: 'hi' },
        [403, 403, 201, 403, 403, 404],
      ],
      [
        'GET',
        `/api/v1/support/card?email=${encodeURIComponent(ids.userEmail ?? '')}`,
        undefined,
        [403, 403, 200, 403, 403, 404],
      ],
      ['GET', '/api/v1/hr/staff', undefined, [403, 403, 403, 403, 200, 404]],
      ['GET', `/api/v1/hr/staff/${staff}`, undefined, [403, 403, 403, 403, 200, 404]],
      [
        'PATCH',
        `/api/v1/hr/staff/${staff}`,
        { department: 'Sales EMEA' },
        [403, 403, 403, 403, 200, 404],
      ],
      [
        'POST',
        '/api/v1/hr/staff',
        { email: `n${Date.now()}@op.example`, name: 'N', role: 'hr' },
        [403, 403, 403, 403, 201, 404],
      ],
      // Before any grant: every Space route is a 404 for every staff role.
      [
        'GET',
        `/api/v1/spaces/${spaceA}/contacts/${contactA}`,
        undefined,
        [404, 404, 404, 404, 404, 404],
      ],
      ['POST', '/api/v1/staff/access', grant, [201, 201, 403, 403, 403, 404]],
      [
        'POST',
        '/api/v1/staff/access',
        { ...grant, spaceId: spaceB },
        [201, 404, 403, 403, 403, 404],
      ],
    ];
  };

  /** Space routes once the grants are open (the cto holds A and B, the account manager A only). */
  const spaceRows = (): Row[] => {
    const { spaceA, spaceB, contactA, contactB } = ids;
    //                                                                    cto  am   sup  sal  hr   user
    return [
      ['GET', `/api/v1/spaces/${spaceA}`, undefined, [200, 200, 404, 404, 404, 404]],
      ['GET', `/api/v1/spaces/${spaceA}/contacts`, undefined, [200, 200, 404, 404, 404, 404]],
      [
        'GET',
        `/api/v1/spaces/${spaceA}/contacts/${contactA}`,
        undefined,
        [200, 200, 404, 404, 404, 404],
      ],
      [
        'PATCH',
        `/api/v1/spaces/${spaceA}/contacts/${contactA}`,
        { city: 'Lyon' },
        [200, 200, 404, 404, 404, 404],
      ],
      [
        'POST',
        `/api/v1/spaces/${spaceA}/contacts`,
        { firstName: 'Staff-made' },
        [201, 201, 404, 404, 404, 404],
      ],
      [
        'DELETE',
        `/api/v1/spaces/${spaceA}/contacts/${contactA}`,
        undefined,
        [403, 403, 404, 404, 404, 404],
      ],
      ['GET', `/api/v1/spaces/${spaceA}/members`, undefined, [403, 403, 404, 404, 404, 404]],
      [
        'POST',
        `/api/v1/spaces/${spaceA}/members`,
        { email: 'x@y.example', role: 'admin' },
        [403, 403, 404, 404, 404, 404],
      ],
      ['GET', `/api/v1/spaces/${spaceA}/history`, undefined, [403, 403, 404, 404, 404, 404]],
      ['GET', `/api/v1/spaces/${spaceA}/access-log`, undefined, [403, 403, 404, 404, 404, 404]],
      [
        'PATCH',
        `/api/v1/spaces/${spaceA}/settings`,
        { requireStaffApproval: false },
        [403, 403, 404, 404, 404, 404],
      ],
      // Cross-Space: the account manager's grant on A gives nothing on B.
      [
        'GET',
        `/api/v1/spaces/${spaceB}/contacts/${contactB}`,
        undefined,
        [200, 404, 404, 404, 404, 404],
      ],
      [
        'GET',
        `/api/v1/spaces/${spaceA}/contacts/${contactB}`,
        undefined,
        [404, 404, 404, 404, 404, 404],
      ],
    ];
  };

  const run = async (list: Row[]) => {
    const failures: string[] = [];
    for (const [method, url, body, expected] of list) {
      for (const [index, column] of columns.entries()) {
        const response = await t.request(callers.get(column) ?? null, method, url, body);
        if (response.statusCode !== expected[index]) {
          failures.push(
            `${column} ${method} ${url}: ${response.statusCode}, expected ${expected[index]} ${response.body.slice(0, 100)}`,
          );
        }
      }
    }
    assert.deepEqual(failures, []);
  };

  test('department routes and grants, for every staff role', async () => {
    await run(rows());
  });

  test('Space routes under a grant, and across Spaces', async () => {
    await run(spaceRows());
  });

  test('denials answered without detail', async () => {
    const refused = await t.request(callers.get('sales') ?? null, 'GET', '/api/v1/hr/staff');
    assert.deepEqual(refused.json(), { error: { code: 'forbidden', message: 'not allowed' } });
    const hidden = await t.request(
      callers.get('support') ?? null,
      'GET',
      `/api/v1/spaces/${ids.spaceA}/contacts/${ids.contactA}`,
    );
    assert.deepEqual(hidden.json(), { error: { code: 'not_found', message: 'space not found' } });
    const logged = JSON.stringify(t.denials.lines);
    for (const personal of [...callers.values()].flatMap((c) => [c.email, c.name])) {
      assert.ok(!logged.includes(personal), 'the denial log carries no names or emails');
    }
  });
});
