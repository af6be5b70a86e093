import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { CopyOutStream } from './copy-out-stream.ts';

/**
 * The protocol parser of copy-out-stream.ts on exact bytes, cut at every
 * place: what the server sends is the one thing outside (the stores' suites
 * run the same stream against PostgreSQL itself).
 */

function message(code: string, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const header = Buffer.alloc(5);
  header.write(code, 0, 'latin1');
  header.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

const rows = ['1,plain\n', '2,"two\nlines"\n', '3,""\n', `4,${'é'.repeat(40)}\n`];
const copyOut = message('H', Buffer.from([0, 0, 2, 0, 0, 0, 0]));
const notice = message('N', 'SNOTICE\0Mhello\0\0');
const after = Buffer.concat([message('C', 'COPY 4\0'), message('Z', 'I')]);
const error = Buffer.concat([
  message('E', 'SERROR\0C22012\0Mdivision by zero\0\0'),
  message('Z', 'E'),
]);

/** Feeds `chunks` one socket read at a time; resolves to what the stream gave and what the driver got back. */
async function run(chunks: readonly Buffer[], crlf: boolean) {
  const socket = new PassThrough();
  const driver: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => driver.push(chunk));
  const stream = new CopyOutStream('COPY …', crlf ? { lineEnd: '\r\n' } : {});
  stream.submit({ stream: socket, query: () => undefined });
  const out: Buffer[] = [];
  const read = (async () => {
    for await (const chunk of stream) {
      out.push(chunk as Buffer);
    }
  })();
  read.catch(() => undefined);
  for (const chunk of chunks) {
    // A socket's read is a new buffer, which the stream unwraps in place.
    socket.write(Buffer.from(chunk));
    await new Promise((resolve) => setImmediate(resolve));
  }
  await new Promise((resolve) => setImmediate(resolve));
  return { out: Buffer.concat(out).toString('utf8'), driver: Buffer.concat(driver), read };
}

/** `bytes` cut in two at every place, and cut into single bytes. */
function cuts(bytes: Buffer): Buffer[][] {
  const all: Buffer[][] = [];
  for (let at = 1; at < bytes.length; at += 1) {
    all.push([bytes.subarray(0, at), bytes.subarray(at)]);
  }
  all.push(Array.from(bytes, (byte) => Buffer.from([byte])));
  return all;
}

test('rows come out whole and in order, however the socket cuts the messages; the driver gets what follows CopyDone', async () => {
  const bytes = Buffer.concat([
    copyOut,
    message('d', rows[0]),
    message('d', rows[1]),
    notice,
    message('d', rows[2]),
    message('d', rows[3]),
    message('c'),
    after,
  ]);
  for (const crlf of [false, true]) {
    const expected = rows.map((row) => (crlf ? `${row.slice(0, -1)}\r\n` : row)).join('');
    for (const chunks of cuts(bytes)) {
      const { out, driver, read } = await run(chunks, crlf);
      await read;
      assert.equal(out, expected, `cut ${chunks.map((c) => c.length).join('+')}, crlf ${crlf}`);
      assert.deepEqual(driver, after);
    }
  }
});

test('an ErrorResponse, however cut, goes to the driver from its first byte, after the rows before it', async () => {
  const bytes = Buffer.concat([copyOut, message('d', rows[0]), message('d', rows[1]), error]);
  for (const chunks of cuts(bytes)) {
    const { out, driver } = await run(chunks, true);
    assert.equal(out, `1,plain\r\n2,"two\nlines"\r\n`);
    assert.deepEqual(driver, error, `cut ${chunks.map((c) => c.length).join('+')}`);
  }
});
