/**
 * The customer's own check of a Space's history, without the server or its
 * database (docs/history-format.md, "Checking offline"):
 *
 *   node --import tsx scripts/verify-history-offline.ts history.ndjson checkpoints.json checkpoint-eu.pub.pem [--json]
 *
 * history.ndjson: one entry per line as `GET /spaces/:id/history` returns them
 * (ascending or descending seq); checkpoints.json: the body of
 * `GET /spaces/:id/history/checkpoints` (or its `items` array); the PEM file: the
 * region's public key as the customer kept it. Exit 0 when the history verifies,
 * 5 naming the first bad seq otherwise, 2 on a usage error, 6 on a malformed file.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { checkpointKeyId, publicKeyFromPem } from '../src/modules/history/checkpoint-keys.ts';
import {
  ChainVerifier,
  type CheckpointRecord,
  type VerifiableEntry,
  type VerifiableValue,
  type VerifyResult,
} from '../src/modules/history/history-chain.ts';

interface PresentedChange {
  field: string;
  from: unknown;
  to: unknown;
  fromDigest: string | null;
  toDigest: string | null;
  fromSalt?: string | null;
  toSalt?: string | null;
}

interface PresentedEntry {
  seq: number;
  at: string;
  actor: unknown;
  action: string;
  target: { type: string; id: string };
  changes: PresentedChange[];
  source: string;
  device: string | null;
  ip: string | null;
  importId: string | null;
  formatVersion: number;
  prevHash: string;
  hash: string;
}

class MalformedInput extends Error {}

const hexPattern = /^[0-9a-f]*$/;

function hex(value: unknown, length: number, what: string): string {
  if (typeof value !== 'string' || value.length !== length * 2 || !hexPattern.test(value)) {
    throw new MalformedInput(`${what} must be ${length * 2} lower-case hex characters`);
  }
  return value;
}

/** A presented entry as the chain hashed it, and the values it still carries. */
export function fromPresented(entry: PresentedEntry): {
  entry: VerifiableEntry;
  values: VerifiableValue[];
} {
  if (
    typeof entry.seq !== 'number' ||
    !Array.isArray(entry.changes) ||
    typeof entry.at !== 'string'
  ) {
    throw new MalformedInput(
      'an entry lacks seq, at or changes: pass entries as the history API returns them',
    );
  }
  const values: VerifiableValue[] = [];
  const changes = entry.changes.map((change, idx) => {
    for (const side of ['from', 'to'] as const) {
      const salt = side === 'from' ? change.fromSalt : change.toSalt;
      if (typeof salt === 'string') {
        values.push({
          idx,
          side,
          salt: hex(salt, 16, `entry ${entry.seq}: ${side}Salt`),
          value: change[side],
        });
      }
    }
    return { field: change.field, fromDigest: change.fromDigest, toDigest: change.toDigest };
  });
  return {
    entry: {
      seq: entry.seq,
      at: entry.at,
      actor: entry.actor,
      action: entry.action,
      target: entry.target,
      changes,
      source: entry.source,
      device: entry.device,
      ip: entry.ip,
      importId: entry.importId,
      formatVersion: entry.formatVersion,
      prevHash: hex(entry.prevHash, 32, `entry ${entry.seq}: prevHash`),
      hash: hex(entry.hash, 32, `entry ${entry.seq}: hash`),
    },
    values,
  };
}

function checkpointsFrom(document: unknown): { spaceId: string; checkpoints: CheckpointRecord[] } {
  const items = Array.isArray(document) ? document : (document as { items?: unknown })?.items;
  if (!Array.isArray(items) || items.length === 0) {
    throw new MalformedInput(
      'the checkpoints file holds no checkpoint: save GET /spaces/:id/history/checkpoints',
    );
  }
  const checkpoints = items.map((raw) => {
    const c = raw as Record<string, unknown>;
    if (
      typeof c.spaceId !== 'string' ||
      typeof c.seq !== 'number' ||
      typeof c.signedAt !== 'string' ||
      typeof c.keyId !== 'string'
    ) {
      throw new MalformedInput('a checkpoint lacks spaceId, seq, signedAt or keyId');
    }
    return {
      spaceId: c.spaceId,
      seq: c.seq,
      hash: hex(c.hash, 32, `checkpoint ${c.seq}: hash`),
      signedAt: c.signedAt,
      keyId: c.keyId,
      signature: Buffer.from(hex(c.signature, 64, `checkpoint ${c.seq}: signature`), 'hex'),
    };
  });
  return { spaceId: (checkpoints[0] as CheckpointRecord).spaceId, checkpoints };
}

async function* entriesOf(file: string): AsyncGenerator<PresentedEntry> {
  const lines = createInterface({
    input: createReadStream(file, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let held: PresentedEntry[] | null = null;
  let previous: PresentedEntry | null = null;
  let number = 0;
  for await (const line of lines) {
    number += 1;
    if (line.trim() === '') {
      continue;
    }
    let entry: PresentedEntry;
    try {
      entry = JSON.parse(line) as PresentedEntry;
    } catch {
      throw new MalformedInput(`line ${number} of ${file} is not JSON`);
    }
    // Newest first (as the API pages) is held and replayed oldest first.
    if (held || (previous && entry.seq < previous.seq)) {
      held ??= previous ? [previous] : [];
      held.push(entry);
    } else if (previous) {
      yield previous;
    }
    previous = held ? null : entry;
  }
  if (previous) {
    yield previous;
  }
  for (const entry of (held ?? []).reverse()) {
    yield entry;
  }
}

/** Verifies an exported history against kept checkpoints and a kept public key. */
export async function verifyHistoryFiles(
  historyFile: string,
  checkpointsFile: string,
  publicKeyFile: string,
): Promise<VerifyResult & { spaceId: string }> {
  const publicKey = publicKeyFromPem(await readFile(publicKeyFile, 'utf8'));
  let document: unknown;
  try {
    document = JSON.parse(await readFile(checkpointsFile, 'utf8'));
  } catch {
    throw new MalformedInput(`${checkpointsFile} is not JSON`);
  }
  const { spaceId, checkpoints } = checkpointsFrom(document);
  const verifier = new ChainVerifier(
    spaceId,
    checkpoints,
    new Map([[checkpointKeyId(publicKey), publicKey]]),
  );
  for await (const presented of entriesOf(historyFile)) {
    const { entry, values } = fromPresented(presented);
    if (!verifier.push(entry, values)) {
      break;
    }
  }
  return { spaceId, ...verifier.finish() };
}

async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const files = argv.filter((a) => a !== '--json');
  if (files.length !== 3 || files.some((f) => f.startsWith('-'))) {
    process.stderr.write(
      'usage: verify-history-offline <history.ndjson> <checkpoints.json> <public-key.pem> [--json]\n',
    );
    return 2;
  }
  try {
    const result = await verifyHistoryFiles(
      files[0] as string,
      files[1] as string,
      files[2] as string,
    );
    if (json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } else if (result.ok) {
      process.stdout.write(
        `OK: ${result.count} entries of Space ${result.spaceId} verify against the checkpoints.\n`,
      );
    } else {
      process.stdout.write(
        `FAILED at seq ${result.firstBadSeq}: ${result.reason} (${result.count} entries before it verify).\n`,
      );
    }
    return result.ok ? 0 : 5;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`error: ${message.replace(/\s+/g, ' ')}\n`);
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') {
      return 3;
    }
    return error instanceof MalformedInput || code === 'invalid_input' ? 6 : 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
