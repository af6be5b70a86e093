import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';

forEachEngine('support tickets (support store)', (env) => {
  let t: TestApp;
  let agent: TestUser;
  before(async () => {
    t = await createTestApp(env());
    agent = await t.staff('support');
  });
  after(() => t.close());

  test('open a ticket with its first message, answer it, solve it', async () => {
    const opened = await t.request(agent, 'POST', '/api/v1/support/tickets', {
      subject: 'Import stuck at 40%',
      requesterEmail: 'uma@example.org',
      message: 'My import has not moved\nsince this morning.',
    });
    assert.equal(opened.statusCode, 201, opened.body);
    const ticketId = opened.json().id;
    assert.equal(opened.json().status, 'open');
    const answer = await t.request(agent, 'POST', `/api/v1/support/tickets/${ticketId}/messages`, {
      body: 'Looking into it.',
    });
    assert.equal(answer.statusCode, 201, answer.body);
    assert.equal(answer.json().authorId, agent.id);
    const messages = await t.request(agent, 'GET', `/api/v1/support/tickets/${ticketId}/messages`);
    assert.deepEqual(
      messages.json().items.map((m: { authorType: string }) => m.authorType),
      ['staff', 'requester'],
    );
    const solved = await t.request(agent, 'PATCH', `/api/v1/support/tickets/${ticketId}`, {
      status: 'solved',
      assigneeId: agent.id,
    });
    assert.equal(solved.statusCode, 200, solved.body);
    assert.equal(solved.json().status, 'solved');
    const list = await t.request(agent, 'GET', '/api/v1/support/tickets?limit=1');
    assert.equal(list.json().items.length, 1);
  });

  test('bad input is a 400 and a missing ticket a 404', async () => {
    const bad = await t.request(agent, 'POST', '/api/v1/support/tickets', {
      subject: 'x',
      requesterEmail: 'not an email',
    });
    assert.equal(bad.statusCode, 400);
    const missing = await t.request(
      agent,
      'GET',
      '/api/v1/support/tickets/00000000-0000-4000-8000-000000000000/messages',
    );
    assert.equal(missing.statusCode, 404);
  });
});
