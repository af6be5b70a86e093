import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { postImport, waitForImport } from '../../src/modules/imports/imports.test-support.ts';
import { corpus, corpusLimits } from '../fixtures/imports/corpus.ts';
import { forEachEngine } from '../harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../harness/test-app.ts';
import { snapshotSpace } from './space-snapshot.ts';

/**
 * Issue #4's corpus: every file under test/fixtures/imports ends in an exact
 * import or a clean 4xx naming the rule, with nothing changed, no upload left
 * on disk, and the server still answering.
 */
forEachEngine(
  'import corpus',
  (env) => {
    let t: TestApp;
    let owner: TestUser;
    let spaceId = '';

    before(async () => {
      t = await createTestApp(env());
      owner = await t.user('Corpus Owner');
      spaceId = await t.space(owner);
    });
    after(() => t.close());

    test('the committed files are what corpus.ts generates', async () => {
      for (const entry of corpus) {
        const onDisk = await readFile(
          new URL(`../fixtures/imports/${entry.file}`, import.meta.url),
        );
        assert.ok(
          onDisk.equals(entry.content()),
          `${entry.file}: run test/fixtures/imports/generate.ts`,
        );
      }
    });

    for (const entry of corpus) {
      test(`${entry.file}: ${entry.expect.kind === 'import' ? `imports ${entry.expect.created}` : `answers ${entry.expect.status}`}`, async () => {
        const content = await readFile(
          new URL(`../fixtures/imports/${entry.file}`, import.meta.url),
        );
        const expect = entry.expect;
        if (expect.kind === 'reject') {
          const before = await snapshotSpace(env(), spaceId);
          const response = await postImport(t, owner, spaceId, content, entry.fields, entry.file);
          assert.equal(response.statusCode, expect.status, response.body);
          const body = response.json() as { error: { code: string; message: string } };
          assert.match(body.error.message, expect.message);
          assert.equal(await snapshotSpace(env(), spaceId), before, 'nothing changed');
        } else {
          const space = await t.space(owner);
          const response = await postImport(t, owner, space, content, entry.fields, entry.file);
          assert.equal(response.statusCode, 202, response.body);
          const view = await waitForImport(t, owner, space, (response.json() as { id: string }).id);
          assert.equal(view.status, 'committed', JSON.stringify(view));
          assert.equal(view.counts.created, expect.created);
          if (expect.rejectedLines) {
            assert.deepEqual(
              view.rejectedRows.map((r) => r.line),
              expect.rejectedLines,
            );
          }
          if (expect.firstNames) {
            const db = await env().stores.region('eu');
            const { rows } = await db.query<{ first_name: string }>(
              'SELECT first_name FROM contacts WHERE space_id = $1 ORDER BY first_name',
              [space],
            );
            assert.deepEqual(
              rows.map((r) => r.first_name),
              expect.firstNames,
            );
          }
        }
        const uploads = await readdir(join(env().config.dataDir, 'tmp', 'imports')).catch(() => []);
        assert.deepEqual(uploads, [], 'no upload is left on disk');
        const health = await t.request(null, 'GET', '/api/health');
        assert.equal(health.statusCode, 200);
      });
    }
  },
  { env: corpusLimits },
);
