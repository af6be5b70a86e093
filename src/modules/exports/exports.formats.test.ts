import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parquetReadObjects } from 'hyparquet';
import { forEachEngine } from '../../../test/harness/engines.ts';
import { createTestApp, type TestApp, type TestUser } from '../../../test/harness/test-app.ts';
import { readSpaceTables } from '../../stores/space-tables.ts';
import { download, exportAndWait, readZip } from './exports.test-support.ts';

const payload = '=HYPERLINK("http://evil.example","click")';

forEachEngine('export formats', (env) => {
  let t: TestApp;
  let owner: TestUser;
  let spaceId = '';
  let tableNames: string[] = [];

  before(async () => {
    t = await createTestApp(env());
    owner = await t.user('Owner');
    spaceId = await t.space(owner);
    const field = await t.request(owner, 'POST', `/api/v1/spaces/${spaceId}/custom-fields`, {
      key: 'note',
      label: 'Note',
      type: 'text',
    });
    assert.equal(field.statusCode, 201, field.body);
    for (const [firstName, note] of [
      [payload, '@SUM(1+1)'],
      ['Zoé', 'plain, with "quotes"'],
      ['-1', '  +cmd'],
    ] as const) {
      const created = await t.request(owner, 'POST', `/api/v1/spaces/${spaceId}/contacts`, {
        firstName,
        lastName: 'Tester',
        customFields: { note },
        tags: ['a'],
      });
      assert.equal(created.statusCode, 201, created.body);
    }
    const region = await env().stores.region('eu');
    tableNames = [
      'members',
      ...(await readSpaceTables(region))
        .map((table) => table.name)
        // The wrapped data key is key material, never exported.
        .filter((name) => name !== 'space_data_keys'),
    ];
  });
  after(async () => {
    await t.services.exports.idle();
    await t.close();
  });

  test('CSV: a zip of one file per table (every region table and members), formulas neutralised', async () => {
    const status = await exportAndWait(t, owner, spaceId, 'csv');
    assert.equal(status.status, 'completed');
    const file = await download(t, owner, spaceId, status.id);
    assert.equal(file.headers['content-type'], 'application/zip');
    const entries = readZip(file.body);
    assert.deepEqual(
      [...entries.keys()].sort(),
      [...tableNames.map((name) => `${name}.csv`), 'manifest.json'].sort(),
    );
    const contacts = entries.get('contacts.csv')?.toString('utf8') ?? '';
    assert.ok(contacts.startsWith('\ufeffspace_id,id,first_name,'), contacts.slice(0, 60));
    const lines = contacts.trimEnd().split('\r\n');
    assert.equal(lines.length, 4, 'header and three rows');
    assert.ok(contacts.includes(`"'=HYPERLINK(""http://evil.example"",""click"")"`));
    assert.ok(contacts.includes(`,'-1,`), 'a text cell starting with - is neutralised');
    assert.ok(!/(^|,)"?[=+@]/m.test(contacts), 'no cell starts with a formula character');
    // A JSON cell starts with `{`: the formula characters inside it are not at its start.
    assert.ok(contacts.includes(`"{""note"": ""@SUM(1+1)""}"`));
    const manifest = JSON.parse(entries.get('manifest.json')?.toString('utf8') ?? '{}');
    assert.equal(manifest.format, 'kith-export');
    assert.equal(manifest.version, 1);
    assert.equal(manifest.tables.find((x: { name: string }) => x.name === 'contacts').rows, 3);
  });

  test('XLSX: a sheet per table, inline strings, no formula anywhere', async () => {
    const status = await exportAndWait(t, owner, spaceId, 'xlsx');
    assert.equal(status.status, 'completed');
    const file = await download(t, owner, spaceId, status.id);
    const entries = readZip(file.body);
    const workbook = entries.get('xl/workbook.xml')?.toString('utf8') ?? '';
    for (const name of ['export', ...tableNames]) {
      assert.ok(workbook.includes(`<sheet name="${name}"`), `sheet ${name}`);
    }
    assert.ok(entries.has('[Content_Types].xml'));
    const sheets = [...entries.entries()].filter(([name]) => name.startsWith('xl/worksheets/'));
    assert.equal(sheets.length, tableNames.length + 1);
    const all = sheets.map(([, bytes]) => bytes.toString('utf8')).join('');
    assert.doesNotMatch(all, /<f[ >]/, 'no formula element');
    assert.ok(all.includes(`<t>'=HYPERLINK("http://evil.example","click")</t>`));
    assert.ok(all.includes('<t>Zoé</t>'));
    assert.doesNotMatch(all, /<t[^>]*>[=+\-@]/, 'no text cell starts with a formula character');
  });

  test('Parquet: a zip of one Parquet file per table, readable, with every row', async () => {
    const status = await exportAndWait(t, owner, spaceId, 'parquet');
    assert.equal(status.status, 'completed');
    const entries = readZip((await download(t, owner, spaceId, status.id)).body);
    const bytes = entries.get('contacts.parquet');
    assert.ok(bytes);
    assert.equal(bytes.subarray(0, 4).toString(), 'PAR1');
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
    const rows = (await parquetReadObjects({ file: buffer as ArrayBuffer })) as Record<
      string,
      unknown
    >[];
    assert.equal(rows.length, 3);
    assert.ok(
      rows.some((row) => row.first_name === payload),
      'Parquet is not neutralised',
    );
    assert.ok(rows.every((row) => row.do_not_sell === false));
  });

  test('NDJSON: one JSON document per line, rows tagged with their table', async () => {
    const status = await exportAndWait(t, owner, spaceId, 'ndjson');
    const text = (await download(t, owner, spaceId, status.id)).body.toString('utf8');
    const lines = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.equal(lines[0].format, 'kith-export');
    const contacts = lines.filter((line) => line.table === 'contacts' && line.row);
    assert.equal(contacts.length, 3);
    assert.ok(contacts.some((line) => line.row.first_name === payload));
    assert.deepEqual(lines.at(-1).rowCounts, status.rowCounts);
  });
});
