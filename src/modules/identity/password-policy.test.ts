import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { AppError } from '../../errors.ts';
import { dummyPasswordHash, hashPassword, needsRehash, verifyPassword } from './password-hash.ts';
import {
  assertAcceptablePassword,
  isCommonPassword,
  loadCommonPasswords,
  passwordLimits,
} from './password-policy.ts';

async function refusal(password: string): Promise<string | undefined> {
  try {
    await assertAcceptablePassword(password);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof AppError, 'refusals are AppErrors');
    assert.equal(error.code, 'invalid_input');
    return error.message;
  }
}

test('length: 7 refused, 8, 64 and 256 accepted, 257 refused', async () => {
  assert.match((await refusal('q7x!Lp2')) ?? '', /too short: use at least 8 characters/);
  assert.equal(await refusal('q7x!Lp2z'), undefined);
  assert.equal(await refusal(`${'Zq9'.repeat(21)}x`), undefined, '64 characters');
  assert.equal(await refusal('Zq9!'.repeat(64)), undefined, '256 characters');
  assert.match(
    (await refusal(`${'Zq9!'.repeat(64)}x`)) ?? '',
    /too long: use at most 256 characters/,
  );
  assert.equal(passwordLimits.minLength, 8);
  assert.ok(passwordLimits.maxLength >= 64);
});

test('length counts Unicode code points, not UTF-16 units', async () => {
  // Four emoji are 8 UTF-16 units but 4 characters: too short.
  assert.match((await refusal('🐙🦊🐢🦉')) ?? '', /too short/);
  // Seven emoji and a letter are 8 characters (15 UTF-16 units).
  assert.equal(await refusal('🐙🦊🐢🦉🐝🦔🐌a'), undefined);
  // 256 emoji are 512 UTF-16 units and still accepted; 257 are not.
  assert.equal(await refusal('🐙'.repeat(256)), undefined);
  assert.match((await refusal('🐙'.repeat(257))) ?? '', /too long/);
  assert.equal(await refusal('mot de passe très sûr ☃'), undefined);
});

test('common passwords are refused, in any case', async () => {
  for (const password of ['password123', 'Password123', 'PASSWORD123', 'iloveyou', 'qwertyuiop']) {
    assert.equal(await refusal(password), 'this password is too common: choose another', password);
  }
  assert.equal(await isCommonPassword('correct horse battery staple 42'), false);
});

test('the list is loaded once, skips its header, and holds only lower-case 8+ entries', async () => {
  const list = await loadCommonPasswords();
  assert.equal(await loadCommonPasswords(), list, 'the same Set on every call');
  assert.ok(list.size > 10_000, `${list.size} entries`);
  const file = await readFile(new URL('./common-passwords.txt', import.meta.url), 'utf8');
  const header = file.split('\n')[0] ?? '';
  assert.match(header, /^# source: @zxcvbn-ts\/language-common.*license: MIT/);
  assert.ok(!list.has(header));
  for (const entry of list) {
    assert.ok([...entry].length >= 8 && entry === entry.toLowerCase(), entry);
  }
});

test('argon2id hashes with the required parameters, verifies, and never throws on junk', async () => {
  const hash = await hashPassword('correct horse battery staple');
  assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  assert.equal(await verifyPassword(hash, 'correct horse battery staple'), true);
  assert.equal(await verifyPassword(hash, 'correct horse battery stapl'), false);
  assert.equal(await verifyPassword('not a hash', 'anything'), false);
  assert.equal(needsRehash(hash), false);
  assert.equal(
    needsRehash('$argon2id$v=19$m=4096,t=3,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG'),
    true,
  );
  assert.match(await dummyPasswordHash(), /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
});
