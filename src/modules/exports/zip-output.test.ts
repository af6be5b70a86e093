import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import * as zlib from 'node:zlib';
import { readZip } from './exports.test-support.ts';
import { crc32Js, ZipOutput } from './zip-output.ts';

async function zipOf(fill: (zip: ZipOutput) => Promise<void>): Promise<Buffer> {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (chunk: Buffer) => parts.push(chunk));
  const zip = new ZipOutput(out, new Date('2026-12-02T10:15:30Z'));
  await fill(zip);
  await zip.close();
  return Buffer.concat(parts);
}

test('the JavaScript CRC-32 is zlib’s', () => {
  const data = randomBytes(100_000);
  assert.equal(crc32Js(Buffer.alloc(0)), 0);
  assert.equal(crc32Js(Buffer.from('123456789')), 0xcbf43926);
  const crc32 = (zlib as { crc32?: (data: Buffer, value?: number) => number }).crc32;
  if (crc32) {
    assert.equal(crc32Js(data), crc32(data));
    assert.equal(crc32Js(data.subarray(5000), crc32Js(data.subarray(0, 5000))), crc32(data));
  }
});

test('entries deflated and stored, written in many chunks, read back whole with their CRC', async () => {
  const big = randomBytes(300_000);
  const text = 'naïve,"x"\r\n'.repeat(50_000);
  const zip = await zipOf(async (z) => {
    await z.entry('données.csv', async (write) => {
      for (let at = 0; at < text.length; at += 7919) {
        await write(text.slice(at, at + 7919));
      }
    });
    await z.entry(
      'data.bin',
      async (write) => {
        await write(big.subarray(0, 1000));
        await write(big.subarray(1000));
      },
      0,
    );
    await z.entry('empty.txt', async () => undefined);
  });
  const entries = readZip(zip);
  assert.deepEqual([...entries.keys()], ['données.csv', 'data.bin', 'empty.txt']);
  assert.equal(entries.get('données.csv')?.toString('utf8'), text);
  assert.ok(entries.get('data.bin')?.equals(big));
  assert.equal(entries.get('empty.txt')?.length, 0);
  // The central directory's CRC of each entry is the CRC of its bytes.
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let at = zip.readUInt32LE(end + 16);
  for (const bytes of entries.values()) {
    assert.equal(zip.readUInt32LE(at + 16), crc32Js(bytes));
    at += 46 + zip.readUInt16LE(at + 28) + zip.readUInt16LE(at + 30);
  }
  assert.ok(zip.length < big.length + text.length / 4, 'the CSV entry is deflated');
  if (existsSync('/usr/bin/unzip')) {
    const directory = await mkdtemp(join(tmpdir(), 'kith-zip-'));
    try {
      await writeFile(join(directory, 'test.zip'), zip);
      const check = spawnSync('/usr/bin/unzip', ['-t', join(directory, 'test.zip')]);
      assert.equal(check.status, 0, check.stdout.toString());
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }
});

test('a deflated entry keeps the order of small, large, string and Buffer writes across its blocks', async () => {
  const pieces: (string | Buffer)[] = [];
  for (let i = 0; i < 40; i += 1) {
    pieces.push(`ligne ${i} – é\r\n`.repeat(1 + ((i * 977) % 3000)));
    pieces.push(randomBytes([10, 700_000, 300_000, 1_048_576, 2_500_000][i % 5] as number));
    pieces.push(Buffer.alloc(0), '');
  }
  const expected = Buffer.concat(pieces.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
  const zip = await zipOf(async (z) => {
    await z.entry('mixed.bin', async (write) => {
      for (const piece of pieces) {
        await write(piece);
      }
    });
  });
  const bytes = readZip(zip).get('mixed.bin');
  assert.ok(bytes?.equals(expected), 'the entry holds every write, in order');
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const directory = zip.readUInt32LE(end + 16);
  assert.equal(zip.readUInt32LE(directory + 16), crc32Js(expected));
});
