import { inflateRawSync } from 'node:zlib';
import type { TestApp, TestUser } from '../../../test/harness/test-app.ts';

/**
 * A minimal zip reader for tests (central directory, stored and deflated entries,
 * ZIP64 sizes not needed at test scale): enough to check what the writers wrote
 * with code that shares nothing with them.
 */
export function readZip(zip: Buffer): Map<string, Buffer> {
  const entries = new Map<string, Buffer>();
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) {
    end -= 1;
  }
  if (end < 0) {
    throw new Error('not a zip: no end of central directory');
  }
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  for (let i = 0; i < count; i += 1) {
    if (zip.readUInt32LE(at) !== 0x02014b50) {
      throw new Error('bad central directory entry');
    }
    const method = zip.readUInt16LE(at + 10);
    const compressedSize = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localOffset = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const localNameLength = zip.readUInt16LE(localOffset + 26);
    const localExtraLength = zip.readUInt16LE(localOffset + 28);
    const dataStart = localOffset + 30 + localNameLength + localExtraLength;
    const data = zip.subarray(dataStart, dataStart + compressedSize);
    entries.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Starts an export as `user`, waits for it, and returns its status body. */
export async function exportAndWait(
  t: TestApp,
  user: TestUser,
  spaceId: string,
  format: string,
): Promise<{
  id: string;
  status: string;
  sha256: string;
  size: number;
  rowCounts: Record<string, number>;
}> {
  const created = await t.request(user, 'POST', `/api/v1/spaces/${spaceId}/exports`, { format });
  if (created.statusCode !== 202) {
    throw new Error(`export not started: ${created.statusCode} ${created.body}`);
  }
  const { id } = created.json() as { id: string };
  await t.services.exports.settled(id);
  const status = await t.request(user, 'GET', `/api/v1/spaces/${spaceId}/exports/${id}`);
  return status.json();
}

/** Downloads a completed export as bytes. */
export async function download(
  t: TestApp,
  user: TestUser,
  spaceId: string,
  exportId: string,
): Promise<{ body: Buffer; headers: Record<string, unknown>; statusCode: number }> {
  const response = await t.app.inject({
    method: 'GET',
    url: `/api/v1/spaces/${spaceId}/exports/${exportId}/download`,
    headers: { authorization: `Bearer ${user.token}` },
  });
  return { body: response.rawPayload, headers: response.headers, statusCode: response.statusCode };
}
