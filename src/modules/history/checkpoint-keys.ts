import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../../config.ts';
import { AppError } from '../../errors.ts';

/**
 * The Ed25519 key each region signs its Spaces' checkpoints with:
 * `KITH_DATA/keys/checkpoint-<region>.pem` (PKCS#8, mode 0600) and
 * `checkpoint-<region>.pub.pem` (SPKI), which customers keep to check
 * checkpoints offline. Only `ensureCheckpointKeys` creates keys.
 */
export interface CheckpointPublicKey {
  readonly region: string;
  /** First 16 hex characters of SHA-256 of the raw 32-byte public key. */
  readonly keyId: string;
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
}

export interface CheckpointSigningKey extends CheckpointPublicKey {
  readonly privateKey: KeyObject;
}

function keysDirectory(config: Config): string {
  return join(config.dataDir, 'keys');
}

function privateKeyFile(config: Config, region: string): string {
  return join(keysDirectory(config), `checkpoint-${region}.pem`);
}

function publicKeyFile(config: Config, region: string): string {
  return join(keysDirectory(config), `checkpoint-${region}.pub.pem`);
}

/** The key id of an Ed25519 public key: what checkpoints name their signer by. */
export function checkpointKeyId(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new AppError('invalid_input', 'a checkpoint key must be an Ed25519 key');
  }
  return createHash('sha256').update(Buffer.from(jwk.x, 'base64url')).digest('hex').slice(0, 16);
}

/** Reads an Ed25519 public key from PEM, refusing any other kind of key. */
export function publicKeyFromPem(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new AppError(
      'invalid_input',
      'not a PEM public key: pass the checkpoint-<region>.pub.pem file',
    );
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new AppError('invalid_input', 'the public key is not an Ed25519 key');
  }
  return key;
}

/**
 * Creates the checkpoint key of every configured region that has none; idempotent
 * and safe when two processes run it at once (a key file is never overwritten).
 * Returns the regions whose key was created.
 */
export async function ensureCheckpointKeys(config: Config): Promise<string[]> {
  await mkdir(keysDirectory(config), { recursive: true, mode: 0o700 });
  const created: string[] = [];
  for (const region of config.regions) {
    if (await createKeyIfMissing(config, region)) {
      created.push(region);
    }
  }
  return created;
}

async function createKeyIfMissing(config: Config, region: string): Promise<boolean> {
  const file = privateKeyFile(config, region);
  let created = false;
  if (!(await readText(file))) {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temporary, pem, { mode: 0o600 });
    try {
      // link() never replaces an existing file: the first writer's key wins.
      await link(temporary, file);
      created = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw error;
      }
    } finally {
      await rm(temporary, { force: true });
    }
  }
  const key = await loadCheckpointSigningKey(config, region);
  const pub = publicKeyFile(config, region);
  if ((await readText(pub)) !== key.publicKeyPem) {
    await writeFile(pub, key.publicKeyPem, { mode: 0o644 });
  }
  return created;
}

/** The region's signing key; `unavailable` until `kith init` created it. */
export async function loadCheckpointSigningKey(
  config: Config,
  region: string,
): Promise<CheckpointSigningKey> {
  const pem = await readText(privateKeyFile(config, region));
  if (!pem) {
    throw new AppError('unavailable', `region ${region} has no checkpoint key yet: run kith init`);
  }
  const privateKey = createPrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  return { ...describe(region, publicKey), privateKey };
}

/** The region's public key (derived from the signing key, which is the source of truth). */
export async function loadCheckpointPublicKey(
  config: Config,
  region: string,
): Promise<CheckpointPublicKey> {
  const { privateKey: _, ...publicPart } = await loadCheckpointSigningKey(config, region);
  return publicPart;
}

function describe(region: string, publicKey: KeyObject): CheckpointPublicKey {
  return {
    region,
    keyId: checkpointKeyId(publicKey),
    publicKey,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw error;
  }
}
