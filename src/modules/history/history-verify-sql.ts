import type { Queryable } from '../../stores/database.ts';

/**
 * The verifier's check of one page of a Space's chain in the database
 * (`checkChainPage`), with builtin functions only and nothing stored there (a
 * tamperer could swap a stored function).
 *
 * Version 1's canonical encoding of an entry (history-format.ts encodeEntryParts)
 * is written by SQL for entries of the shape the writer writes: an actor of
 * exactly {id, name, role, type} (strings, role may be null), changes of exactly
 * [{field, fromDigest, toDigest}] (field a string, digests strings or null), a
 * time from 1970 to 9998, format version 1. Any other row encodes to NULL: the
 * database does not vouch for it and the application verifies it the general
 * way. So SQL never accepts a row that history-format.ts would encode otherwise.
 * `to_json(text)::text`, and the text of a jsonb string (both escape_json),
 * escape as JSON.stringify does for text a database can hold (`\"`, `\\`, \b \f
 * \n \r \t, other controls as lower-case \u00XX).
 *
 * Where the time goes (PGlite, whose WASM builtins are several times slower than
 * native code): building the encoding's text, then SHA-256. So everything in
 * the encoding that does not change from entry to entry within a page (the
 * actor, action, source, device, ip, target type, the Space id) is written once
 * per distinct combination (`entriesWithActorJsonSql`: a Space has few actors,
 * each on few devices) and joined back, leaving per entry only the time, the
 * changes, the import id, the seq and the target id.
 */

const actorShapeSql = `jsonb_typeof(actor) = 'object'
  AND actor - '{id,name,role,type}'::text[] = '{}'::jsonb
  AND jsonb_typeof(actor -> 'id') = 'string' AND jsonb_typeof(actor -> 'name') = 'string'
  AND jsonb_typeof(actor -> 'type') = 'string' AND jsonb_typeof(actor -> 'role') IN ('string', 'null')`;

/** A change `c` of the writer's shape: exactly {field, fromDigest, toDigest}. */
const changeShapeSql = (c: string) => `jsonb_typeof(${c}) = 'object'
  AND ${c} - '{field,fromDigest,toDigest}'::text[] = '{}'::jsonb
  AND jsonb_typeof(${c} -> 'field') = 'string'
  AND jsonb_typeof(${c} -> 'fromDigest') IN ('string', 'null')
  AND jsonb_typeof(${c} -> 'toDigest') IN ('string', 'null')`;

const changeJsonSql = (c: string) => `concat('{"field":', (${c} -> 'field')::text,
  ',"fromDigest":', (${c} -> 'fromDigest')::text, ',"toDigest":', (${c} -> 'toDigest')::text, '}')`;

/**
 * The entries `$2 < seq <= $3` of Space $1, each with the parts of its encoding
 * shared by every entry of the same actor, action, source, device, ip and target
 * type, written once per such combination: `head` (`{"action":…,"actor":…,"at":"`,
 * NULL for an actor of another shape), `dev` (`,"device":…,"importId":`), `ipx`
 * (`,"ip":…,"seq":`), `src` (`,"source":…,"spaceId":$4,"target":{"id":`) and
 * `tt` (`,"type":…},"v":1}`). A null device or ip is keyed apart from an empty
 * one (`dn`, `ipn`), so no two rows of different content share parts.
 */
export const entriesWithActorJsonSql = `(SELECT e.seq, e.at, e.changes, e.import_id, e.target_id, e.format_version,
            e.prev_hash, e.hash, k.head, k.dev, k.ipx, k.src, k.tt, e.changes::text AS changes_text,
            (e.changes -> 0 -> 'field')::text AS field0, (e.changes -> 0 -> 'fromDigest')::text AS from0,
            (e.changes -> 0 -> 'toDigest')::text AS to0
     FROM history_entries e
     LEFT JOIN (SELECT actor, action, source, target_type, dn, dk, ipn, ipk,
                  CASE WHEN ${actorShapeSql} THEN concat('{"action":', to_json(action)::text,
                         ',"actor":{"id":', (actor -> 'id')::text, ',"name":', (actor -> 'name')::text,
                         ',"role":', (actor -> 'role')::text, ',"type":', (actor -> 'type')::text, '},"at":"') END AS head,
                  concat(',"device":', CASE WHEN dn THEN 'null' ELSE to_json(dk)::text END, ',"importId":') AS dev,
                  concat(',"ip":', CASE WHEN ipn THEN 'null' ELSE to_json(ipk)::text END, ',"seq":') AS ipx,
                  concat(',"source":', to_json(source)::text, ',"spaceId":', $4::text, ',"target":{"id":') AS src,
                  concat(',"type":', to_json(target_type)::text, '},"v":1}') AS tt
             FROM (SELECT DISTINCT actor, action, source, target_type, device IS NULL AS dn,
                          coalesce(device, '') AS dk, ip IS NULL AS ipn, coalesce(ip, '') AS ipk
                     FROM history_entries
                    WHERE space_id = $1 AND seq > $2 AND seq <= $3) AS a) AS k
       ON k.actor = e.actor AND k.action = e.action AND k.source = e.source AND k.target_type = e.target_type
      AND k.dn = (e.device IS NULL) AND k.dk = coalesce(e.device, '')
      AND k.ipn = (e.ip IS NULL) AND k.ipk = coalesce(e.ip, '')
    WHERE e.space_id = $1 AND e.seq > $2 AND e.seq <= $3
   OFFSET 0)`;

/**
 * True when an entry's changes are exactly one change of the writer's shape,
 * decided on texts without building jsonb: the changes' jsonb text must be
 * `[{"field": F, "toDigest": T, "fromDigest": D}]` (jsonb writes keys by length,
 * then bytes) to the byte count, where F, T, D are the texts of
 * `changes -> 0 -> 'field'` and so on. Any other element, key or nesting would
 * add to the count (and a missing key makes it NULL), so the lengths pin the
 * shape; the first characters pin the types (F a string, T and D strings or
 * null). Other changes take the general path.
 */
const singleChangeSql = `left(changes_text, 11) = '[{"field": '
  AND octet_length(changes_text) = octet_length(field0) + octet_length(from0) + octet_length(to0) + 43
  AND left(field0, 1) = '"' AND (left(from0, 1) = '"' OR from0 = 'null') AND (left(to0, 1) = '"' OR to0 = 'null')`;

/** The encoding with the changes' canonical JSON given (concat: NULL pieces are written as ''). */
const encodingWith = (changesJson: string) => `concat(head,
  to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), '","changes":', ${changesJson},
  dev, coalesce('"' || import_id::text || '"', 'null'), ipx, seq::text, src, to_json(target_id)::text, tt)`;

/**
 * The same with `||` (cheaper than concat's output function per piece on
 * PGlite), for the single-change path, where no piece is NULL.
 */
const encodingCat = (changesJson: string) => `(head ||
  to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '","changes":' || ${changesJson} ||
  dev || coalesce('"' || import_id::text || '"', 'null') || ipx || seq::text || src || to_json(target_id)::text || tt)`;

/**
 * The canonical encoding of an entry row of `entriesWithActorJsonSql` in SQL
 * (NULL for a row of another shape). An entry of one change, the common case,
 * is written without a subquery; others aggregate their changes in order.
 */
export const entryEncodingSql = `CASE WHEN format_version = 1 AND at >= '1970-01-01T00:00:00Z' AND at < '9999-01-01T00:00:00Z'
  AND head IS NOT NULL THEN
  CASE WHEN ${singleChangeSql} THEN ${encodingCat(`'[{"field":' || field0 || ',"fromDigest":' || from0 || ',"toDigest":' || to0 || '}]'`)}
  WHEN jsonb_typeof(changes) <> 'array' THEN NULL
  WHEN jsonb_array_length(changes) = 1 THEN
    CASE WHEN ${changeShapeSql('(changes -> 0)')} THEN ${encodingWith(`'[', ${changeJsonSql('(changes -> 0)')}, ']'`)} END
  ELSE (SELECT CASE WHEN coalesce(bool_and(${changeShapeSql('c')}), true)
                    THEN ${encodingWith(`'[', string_agg(${changeJsonSql('c')}, ',' ORDER BY n), ']'`)} END
          FROM jsonb_array_elements(changes) WITH ORDINALITY AS x(c, n))
  END
END`;

/**
 * The canonical JSON of a stored value in SQL, for the values whose canonical
 * JSON SQL writes exactly as history-format.ts does (strings, booleans, null,
 * integers of at most 15 digits); NULL for the others, left to the application.
 */
const valueCanonicalSql = `CASE jsonb_typeof(v.value)
  WHEN 'string' THEN v.value::text
  WHEN 'boolean' THEN v.value::text
  WHEN 'null' THEN 'null'
  WHEN 'number' THEN CASE WHEN v.value::text ~ '^-?(0|[1-9][0-9]{0,14})$' THEN v.value::text END
  END`;

/**
 * What the database found checking one page of the chain (see `checkChainPage`).
 * Hashes are lower-case hex.
 */
export interface ChainPageCheck {
  /** Entries in the page. */
  readonly count: number;
  readonly firstSeq: number | null;
  /** The stored prev_hash of the page's first entry (the link to the page before). */
  readonly firstPrevHash: string | null;
  readonly lastSeq: number | null;
  readonly lastHash: string | null;
  /** The stored prev_hash of the page's last entry. */
  readonly lastPrevHash: string | null;
  /** The first entry the database could not vouch for (its hash, link, seq or shape); null when none. */
  readonly firstSuspectSeq: number | null;
  /** The first entry one of whose values does not match its digest as the database checked it. */
  readonly firstBadValueSeq: number | null;
  /** Hashes of the entries at the checkpoint seqs asked for, by seq. */
  readonly checkpointHashes: ReadonlyMap<number, string>;
  /**
   * Values the database leaves to the application (objects, arrays, non-integer
   * numbers, whose canonical JSON SQL does not write): [seq, idx, side, saltHex,
   * valueText, digest or null].
   */
  readonly valuesToCheck: readonly [number, number, 'from' | 'to', string, string, string | null][];
}

/**
 * Checks one page of a Space's chain (`afterSeq < seq <= throughSeq`) in the
 * database: each entry's hash recomputed as sha256(prev_hash ‖ canonical
 * encoding) and compared with the stored one, each prev_hash with the hash of
 * the entry before, seqs contiguous, and each present value's salted digest
 * against the digest its entry commits to. Returns only what the application
 * needs to carry the chain across pages: the page's ends, the first entry it
 * could not vouch for, the hashes at checkpoint seqs.
 *
 * The links are checked in the same pass as the hashes: the page's prev_hashes
 * and hashes, each concatenated in seq order, must be the same bytes shifted by
 * one entry. Only a page where they are not is walked entry by entry (a window
 * over the page) to name the first broken link.
 */
export async function checkChainPage(
  db: Queryable,
  spaceId: string,
  afterSeq: number,
  throughSeq: number,
  checkpointSeqs: readonly number[],
): Promise<ChainPageCheck> {
  const { rows } = await db.query<{
    n: number | string;
    first_seq: number | string | null;
    first_prev: string | null;
    last_seq: number | string | null;
    last_hash: string | null;
    last_prev: string | null;
    first_suspect: number | string | null;
    first_bad_value: number | string | null;
    checkpoints: string | null;
    to_check: string | null;
  }>(
    `SELECT a.n, a.first_seq, a.last_seq,
            encode(substring(l.prevs FROM 1 FOR 32), 'hex') AS first_prev,
            encode(substring(l.hashes FROM octet_length(l.hashes) - 31), 'hex') AS last_hash,
            encode(substring(l.prevs FROM octet_length(l.prevs) - 31), 'hex') AS last_prev,
            CASE WHEN a.n > 0 AND a.last_seq - a.first_seq + 1 = a.n
                      AND substring(l.prevs FROM 33) = substring(l.hashes FROM 1 FOR octet_length(l.hashes) - 32)
                 THEN a.first_bad_hash
                 ELSE least(a.first_bad_hash,
                            (SELECT min(seq) FROM (SELECT seq, prev_hash, lag(seq) OVER w AS lag_seq, lag(hash) OVER w AS lag_hash
                                                     FROM history_entries
                                                    WHERE space_id = $1 AND seq > $2 AND seq <= $3
                                                   WINDOW w AS (ORDER BY seq)) AS w
                              WHERE lag_seq IS NOT NULL AND (seq <> lag_seq + 1 OR prev_hash <> lag_hash)))
            END AS first_suspect,
            b.first_bad_value, b.to_check,
            (SELECT json_agg(json_build_array(c.seq, encode(c.hash, 'hex')))::text FROM history_entries c
              WHERE c.space_id = $1 AND c.seq > $2 AND c.seq <= $3 AND c.seq = ANY($5::bigint[])) AS checkpoints
       FROM (SELECT count(*) AS n, min(seq) AS first_seq, max(seq) AS last_seq,
                    min(seq) FILTER (WHERE (sha256(prev_hash || convert_to(${entryEncodingSql}, 'UTF8')) = hash) IS NOT TRUE) AS first_bad_hash
               FROM ${entriesWithActorJsonSql} AS e) AS a
      CROSS JOIN (SELECT string_agg(prev_hash, ''::bytea ORDER BY seq) AS prevs,
                         string_agg(hash, ''::bytea ORDER BY seq) AS hashes
                    FROM history_entries WHERE space_id = $1 AND seq > $2 AND seq <= $3) AS l
      CROSS JOIN (
             SELECT min(seq) FILTER (WHERE status = 'bad') AS first_bad_value,
                    (json_agg(json_build_array(seq, idx, side, encode(salt, 'hex'), value::text, digest) ORDER BY seq, idx, side)
                      FILTER (WHERE status = 'js'))::text AS to_check
               FROM (SELECT seq, idx, side, salt, value, digest,
                            CASE WHEN digest IS NULL THEN 'bad' WHEN canonical IS NULL THEN 'js'
                                 WHEN encode(sha256(salt || convert_to(canonical, 'UTF8')), 'hex') = digest THEN 'ok'
                                 ELSE 'bad' END AS status
                       FROM (SELECT v.seq, v.idx, v.side, v.salt, v.value, ${valueCanonicalSql} AS canonical,
                                    e.changes -> v.idx::int ->> (v.side || 'Digest') AS digest
                               FROM history_values v
                               LEFT JOIN history_entries e ON e.space_id = $1 AND e.seq = v.seq
                                                          AND e.seq > $2 AND e.seq <= $3
                              WHERE v.space_id = $1 AND v.seq > $2 AND v.seq <= $3
                             OFFSET 0) AS x
                     OFFSET 0) AS y) AS b`,
    [spaceId, afterSeq, throughSeq, JSON.stringify(spaceId), checkpointSeqs],
  );
  const row = rows[0];
  const num = (value: number | string | null | undefined) =>
    value === null || value === undefined ? null : Number(value);
  const checkpointHashes = new Map<number, string>(
    (JSON.parse(row?.checkpoints ?? '[]') as [number, string][]).map(([seq, hash]) => [
      Number(seq),
      hash,
    ]),
  );
  return {
    count: num(row?.n) ?? 0,
    firstSeq: num(row?.first_seq),
    firstPrevHash: row?.first_prev ?? null,
    lastSeq: num(row?.last_seq),
    lastHash: row?.last_hash ?? null,
    lastPrevHash: row?.last_prev ?? null,
    firstSuspectSeq: num(row?.first_suspect),
    firstBadValueSeq: num(row?.first_bad_value),
    checkpointHashes,
    valuesToCheck: JSON.parse(row?.to_check ?? '[]') as ChainPageCheck['valuesToCheck'],
  };
}
