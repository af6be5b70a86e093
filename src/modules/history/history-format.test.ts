import assert from 'node:assert/strict';
import { createPrivateKey, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { checkpointKeyId, publicKeyFromPem } from './checkpoint-keys.ts';
import {
  type CheckpointStatement,
  canonicalJson,
  encodeCheckpoint,
  encodeEntry,
  entryHash,
  genesisHash,
  type HashedEntry,
  historyActions,
  valueDigest,
} from './history-format.ts';

/** The persisted contract, pinned: every vector of docs/history-test-vectors.json is recomputed. */
interface Vectors {
  version: number;
  canonicalJson: { value: unknown; canonical: string }[];
  valueDigests: { salt: string; value: unknown; canonical: string; digest: string }[];
  entries: { prevHash: string; entry: HashedEntry; canonical: string; hash: string }[];
  checkpoints: {
    privateKeyPem: string;
    publicKeyPem: string;
    keyId: string;
    statement: CheckpointStatement;
    canonical: string;
    signature: string;
  }[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../../../docs/history-test-vectors.json', import.meta.url), 'utf8'),
) as Vectors;

test('the vectors are of format version 1 and cover every part of the format', () => {
  assert.equal(vectors.version, 1);
  assert.ok(vectors.canonicalJson.length >= 20);
  assert.ok(vectors.valueDigests.length >= 3);
  assert.ok(vectors.entries.length >= 3);
  assert.ok(vectors.checkpoints.length >= 1);
});

test('canonical JSON: every vector', () => {
  for (const vector of vectors.canonicalJson) {
    assert.equal(canonicalJson(vector.value), vector.canonical);
  }
});

test('value digests: every vector', () => {
  for (const vector of vectors.valueDigests) {
    assert.equal(canonicalJson(vector.value), vector.canonical);
    assert.equal(
      valueDigest(Buffer.from(vector.salt, 'hex'), vector.canonical).toString('hex'),
      vector.digest,
    );
  }
});

test('entries: every vector, chained from the genesis hash', () => {
  let prev = genesisHash;
  for (const vector of vectors.entries) {
    assert.equal(vector.prevHash, prev.toString('hex'));
    assert.equal(encodeEntry(vector.entry), vector.canonical);
    assert.equal(
      canonicalJson({ ...vector.entry, v: 1 }),
      vector.canonical,
      'the fast encoder is the generic one',
    );
    const hash = entryHash(prev, vector.canonical);
    assert.equal(hash.toString('hex'), vector.hash);
    prev = hash;
  }
});

test('checkpoints: key id, statement and Ed25519 signature (deterministic) of every vector', () => {
  for (const vector of vectors.checkpoints) {
    const publicKey = publicKeyFromPem(vector.publicKeyPem);
    assert.equal(checkpointKeyId(publicKey), vector.keyId);
    const statement = encodeCheckpoint(vector.statement);
    assert.equal(statement.toString('utf8'), vector.canonical);
    assert.equal(
      sign(null, statement, createPrivateKey(vector.privateKeyPem)).toString('hex'),
      vector.signature,
    );
    assert.ok(verify(null, statement, publicKey, Buffer.from(vector.signature, 'hex')));
  }
});

test('canonical JSON: undefined is null, Dates are ISO strings, non-JSON values are refused', () => {
  assert.equal(canonicalJson(undefined), 'null');
  assert.equal(canonicalJson({ b: undefined, a: [undefined] }), '{"a":[null],"b":null}');
  assert.equal(canonicalJson(new Date('2026-01-02T03:04:05.006Z')), '"2026-01-02T03:04:05.006Z"');
  assert.equal(canonicalJson(JSON.parse('{"__proto__": {"x": 1}}')), '{"__proto__":{"x":1}}');
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 1n, () => 1, Symbol('s')]) {
    assert.throws(() => canonicalJson(bad), { name: 'AppError', code: 'invalid_input' });
  }
});

test('the action list is a persisted contract: these names, in this order', () => {
  assert.deepEqual(historyActions, [
    'contact.create',
    'contact.update',
    'contact.delete',
    'contact.restore',
    'contact.erase',
    'contact.revert',
    'import.commit',
    'export.create',
    'member.add',
    'member.role',
    'member.remove',
    'space.create',
    'settings.update',
    'backup.restore',
    'staff.access',
    'customField.create',
    'customField.update',
    'customField.delete',
  ]);
});
