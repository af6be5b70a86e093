import { randomFillSync } from 'node:crypto';

const poolIds = 4096;
const pool = Buffer.allocUnsafe(poolIds * 16);
let poolAt = poolIds;
let lastMs = -1;
let counter = 0;

/**
 * A UUID version 7 (RFC 9562): the time in milliseconds, then a 26-bit counter
 * (method 1 of section 6.2: ids made in the same millisecond still ascend),
 * then 48 random bits. Imported contacts get these rather than random (v4)
 * ids: a batch's ids ascend, so every index keyed by the contact id (the
 * contacts' primary key, their tags' and consents', the history's target and
 * subject indexes) is appended to at its right edge instead of at a random
 * leaf, which kept the whole of each index hot and dirty on a large import.
 */
export function timeOrderedUuid(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else {
    // The clock did not move (or went back): stay in the last millisecond, counting on.
    counter += 1;
    if (counter >= 1 << 26) {
      lastMs += 1;
      counter = 0;
    }
  }
  if (poolAt === poolIds) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const bytes = pool.subarray(poolAt * 16, poolAt * 16 + 16);
  poolAt += 1;
  bytes.writeUIntBE(lastMs, 0, 6);
  // version 7, then the counter's top 12 bits (rand_a).
  bytes[6] = 0x70 | ((counter >>> 22) & 0x0f);
  bytes[7] = (counter >>> 14) & 0xff;
  // variant 10, then the counter's low 14 bits, then 48 random bits (rand_b).
  bytes[8] = 0x80 | ((counter >>> 8) & 0x3f);
  bytes[9] = counter & 0xff;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
