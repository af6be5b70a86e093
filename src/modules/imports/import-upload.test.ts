import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sweepUploads, uploadDirectory, uploadMaxAgeMs } from './import-upload.ts';

let dataDir = '';
before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kith-upload-sweep-'));
});
after(() => rm(dataDir, { recursive: true, force: true }));

test('the upload sweep deletes what a killed import left, and nothing a job may still use', async () => {
  const directory = await uploadDirectory(dataDir);
  const now = new Date();
  const old = new Date(now.getTime() - uploadMaxAgeMs - 60_000);
  const recent = new Date(now.getTime() - uploadMaxAgeMs + 60_000);
  const orphan = randomUUID();
  const running = randomUUID();
  const stranger = 'notes.txt';
  const oldDirectory = randomUUID();
  for (const name of [orphan, `${orphan}.rows`, running, stranger]) {
    await writeFile(join(directory, name), 'Ada,Lovelace,ada@example.org\n');
  }
  await mkdir(join(directory, oldDirectory));
  for (const name of [orphan, `${orphan}.rows`, stranger, oldDirectory]) {
    await utimes(join(directory, name), old, old);
  }
  await utimes(join(directory, running), recent, recent);

  assert.deepEqual(await sweepUploads(dataDir, now), { removed: 2 });
  assert.deepEqual(
    (await readdir(directory)).sort(),
    [oldDirectory, running, stranger].sort(),
    'the old upload and its extracted rows are gone; a younger upload, a file it did not name and a directory stay',
  );
  assert.deepEqual(
    await sweepUploads(dataDir, now),
    { removed: 0 },
    'a second sweep finds nothing',
  );
});
