import type {
  ChainVerifier,
  EncodedValue,
  VerifiableEntry,
  VerifiableValue,
} from './history-chain.ts';
import { canonicalJson } from './history-format.ts';

/**
 * The verifier's bulk path: entries and values as the database's COPY text
 * output writes them (one line per row, columns separated by tabs, `\N` for
 * null; see `copyVerificationPage`), turned into canonical encodings without
 * building an object per entry where the data allows, and fed to a
 * ChainVerifier. Whenever the fast path does not verify an entry, the verifier
 * rebuilds it the general way and decides (ChainVerifier.pushEncoded).
 *
 * Entry columns: seq, at (epoch ms), actor, action, target_type, target_id,
 * changes, source, device, ip, import_id, format_version, prev_hash (hex),
 * hash (hex). Value columns: seq, idx, side, salt (hex), value.
 */

const copyEscapes: Readonly<Record<string, string>> = {
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

/** One field of COPY text output: `\N` is null; backslash escapes are undone. */
export function copyField(raw: string): string | null {
  if (raw === '\\N') {
    return null;
  }
  if (raw.indexOf('\\') === -1) {
    return raw;
  }
  return raw.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|[\s\S])/g, (_, code: string) => {
    if (code[0] === 'x') {
      return String.fromCharCode(Number.parseInt(code.slice(1), 16));
    }
    if (code >= '0' && code <= '7') {
      return String.fromCharCode(Number.parseInt(code, 8));
    }
    return copyEscapes[code] ?? code;
  });
}

/** A JSON string without quote, backslash or control characters: its JSON text is already canonical. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what makes a string not plain
const plainJsonString = /^"[^"\\\u0000-\u001f]*"$/;

/** Canonical JSON of a JSON text written by PostgreSQL (jsonb output). */
export function canonicalOfJsonText(text: string): string {
  if (text === 'null' || text === 'true' || text === 'false' || plainJsonString.test(text)) {
    return text;
  }
  return canonicalJson(JSON.parse(text));
}

/**
 * Canonical JSON of an entry's changes as stored: `[{field, fromDigest, toDigest}]`
 * written directly; anything else (a tampered row) the general way.
 */
export function canonicalChanges(changes: unknown): string {
  if (!Array.isArray(changes)) {
    return canonicalJson(changes);
  }
  let out = '[';
  for (let i = 0; i < changes.length; i += 1) {
    if (i > 0) {
      out += ',';
    }
    const change = changes[i] as { field?: unknown; fromDigest?: unknown; toDigest?: unknown };
    if (
      change !== null &&
      typeof change === 'object' &&
      !Array.isArray(change) &&
      typeof change.field === 'string' &&
      (change.fromDigest === null || typeof change.fromDigest === 'string') &&
      (change.toDigest === null || typeof change.toDigest === 'string') &&
      Object.keys(change).length === 3
    ) {
      out +=
        `{"field":${JSON.stringify(change.field)},` +
        `"fromDigest":${change.fromDigest === null ? 'null' : JSON.stringify(change.fromDigest)},` +
        `"toDigest":${change.toDigest === null ? 'null' : JSON.stringify(change.toDigest)}}`;
    } else {
      out += canonicalJson(change);
    }
  }
  return `${out}]`;
}

/** Splits COPY text output into its lines (the last newline ends the last row). */
function linesOf(text: string): string[] {
  if (text.length === 0) {
    return [];
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') {
    lines.pop();
  }
  return lines;
}

/**
 * Canonical actors by their stored text: a Space has few actors and each of
 * them writes many entries. Bounded, so a history of many actors stays in memory.
 */
class ActorCache {
  private readonly cache = new Map<string, string>();

  canonical(text: string): string {
    let canonical = this.cache.get(text);
    if (canonical === undefined) {
      canonical = canonicalJson(JSON.parse(text));
      if (this.cache.size >= 10_000) {
        this.cache.clear();
      }
      this.cache.set(text, canonical);
    }
    return canonical;
  }
}

/** Feeds COPY pages of one Space's entries and values to a verifier, page after page. */
export class CopyPageFeeder {
  private readonly actors = new ActorCache();

  constructor(private readonly verifier: ChainVerifier) {}

  /** Feeds one page (entries and the values of those entries); false at the first failure. */
  feed(entriesText: string, valuesText: string): boolean {
    const entries = linesOf(entriesText);
    const values = linesOf(valuesText);
    let v = 0;
    let valueColumns = values.length > 0 ? (values[0] as string).split('\t') : null;
    for (const line of entries) {
      const c = line.split('\t');
      const seq = Number(c[0]);
      const own: { idx: number; side: 'from' | 'to'; salt: string; text: string }[] = [];
      while (valueColumns && Number(valueColumns[0]) <= seq) {
        if (Number(valueColumns[0]) === seq) {
          own.push({
            idx: Number(valueColumns[1]),
            side: copyField(valueColumns[2] as string) as 'from' | 'to',
            salt: valueColumns[3] as string,
            text: copyField(valueColumns[4] as string) as string,
          });
        }
        v += 1;
        valueColumns = v < values.length ? (values[v] as string).split('\t') : null;
      }
      if (!this.push(seq, c, own)) {
        return false;
      }
    }
    return true;
  }

  private push(
    seq: number,
    c: string[],
    own: { idx: number; side: 'from' | 'to'; salt: string; text: string }[],
  ): boolean {
    const actorText = copyField(c[2] as string) as string;
    const changesText = copyField(c[6] as string) as string;
    const changes = JSON.parse(changesText) as unknown;
    const targetType = copyField(c[4] as string) as string;
    const targetId = copyField(c[5] as string) as string;
    const at = new Date(Number(c[1])).toISOString();
    const source = copyField(c[7] as string) as string;
    const device = copyField(c[8] as string);
    const ip = copyField(c[9] as string);
    const importId = copyField(c[10] as string);
    const formatVersion = Number(c[11]);
    const prevHash = c[12] as string;
    const hash = c[13] as string;
    const action = copyField(c[3] as string) as string;
    const values: EncodedValue[] = own.map((value) => ({
      idx: value.idx,
      side: value.side,
      salt: value.salt,
      canonical: canonicalOfJsonText(value.text),
    }));
    return this.verifier.pushEncoded(
      {
        seq,
        at,
        actorJson: this.actors.canonical(actorText),
        action,
        targetJson: `{"id":${JSON.stringify(targetId)},"type":${JSON.stringify(targetType)}}`,
        changesJson: canonicalChanges(changes),
        changes,
        source,
        device,
        ip,
        importId,
        formatVersion,
        prevHash,
        hash,
      },
      values,
      () => {
        const entry: VerifiableEntry = {
          seq,
          at,
          actor: JSON.parse(actorText),
          action,
          target: { type: targetType, id: targetId },
          changes,
          source,
          device,
          ip,
          importId,
          formatVersion,
          prevHash,
          hash,
        };
        const full: VerifiableValue[] = own.map((value) => ({
          idx: value.idx,
          side: value.side,
          salt: value.salt,
          value: JSON.parse(value.text),
        }));
        return { entry, values: full };
      },
    );
  }
}
