import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';

forEachEngine('sales routes (sales store)', (env) => {
  let t: TestApp;
  let seller: TestUser;
  before(async () => {
    t = await createTestApp(env());
    seller = await t.staff('sales');
  });
  after(() => t.close());

  test('organisations, leads, deals and notes: create, read, change, list in pages', async () => {
    const org = await t.request(seller, 'POST', '/api/v1/sales/organisations', {
      name: 'Friends of the Earth',
      country: 'GB',
    });
    assert.equal(org.statusCode, 201, org.body);
    const organisationId = org.json().id;
    assert.equal(org.json().createdBy, seller.id);
    const lead = await t.request(seller, 'POST', '/api/v1/sales/leads', {
      organisationId,
      contactName: 'Jo Campaigner',
      contactEmail: 'jo@foe.example',
    });
    assert.equal(lead.statusCode, 201, lead.body);
    assert.equal(lead.json().status, 'new');
    const deal = await t.request(seller, 'POST', '/api/v1/sales/deals', {
      organisationId,
      title: 'Kith hosted, 3 years',
      amountCents: 1_200_000,
      currency: 'GBP',
      closeDate: '2027-03-31',
    });
    assert.equal(deal.statusCode, 201, deal.body);
    assert.equal(deal.json().amountCents, 1_200_000);
    assert.equal(deal.json().closeDate, '2027-03-31');
    const won = await t.request(seller, 'PATCH', `/api/v1/sales/deals/${deal.json().id}`, {
      stage: 'won',
    });
    assert.equal(won.statusCode, 200, won.body);
    assert.equal(won.json().stage, 'won');
    const note = await t.request(
      seller,
      'POST',
      `/api/v1/sales/organisations/${organisationId}/notes`,
      { body: 'Call went well.\nFollow up in May.' },
    );
    assert.equal(note.statusCode, 201, note.body);
    const notes = await t.request(
      seller,
      'GET',
      `/api/v1/sales/organisations/${organisationId}/notes`,
    );
    assert.equal(notes.json().items.length, 1);

    await t.request(seller, 'POST', '/api/v1/sales/organisations', { name: 'Second org' });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/api/v1/sales/organisations?limit=1${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await t.request(seller, 'GET', url);
      assert.equal(page.statusCode, 200, page.body);
      seen.push(...page.json().items.map((i: { id: string }) => i.id));
      cursor = page.json().nextCursor;
    } while (cursor);
    assert.equal(seen.length, 2);
    assert.equal(new Set(seen).size, 2);
  });

  test('bad input is a 400 and a missing record a 404', async () => {
    const orphan = await t.request(seller, 'POST', '/api/v1/sales/deals', {
      organisationId: '00000000-0000-4000-8000-000000000000',
      title: 'Nowhere',
    });
    assert.equal(orphan.statusCode, 400);
    const missing = await t.request(
      seller,
      'GET',
      '/api/v1/sales/leads/00000000-0000-4000-8000-000000000000',
    );
    assert.equal(missing.statusCode, 404);
    const extra = await t.request(seller, 'POST', '/api/v1/sales/organisations', {
      name: 'X',
      admin: true,
    });
    assert.equal(extra.statusCode, 400);
  });
});
