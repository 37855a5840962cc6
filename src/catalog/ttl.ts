// The collection TTL (`collection.ttl.seconds`), as Milvus takes it: a property whose
// value is an integer string from -1 to 3155760000 (100 years); 0 and -1 mean no TTL.
// A row expires once it is older than the TTL: its write timestamp (the insert or upsert
// that wrote it) is more than that many seconds before a read's own timestamp.
import { fail } from '../errors/index.js';
import type { CollectionMeta } from './types.js';

export const collectionTtlKey = 'collection.ttl.seconds';
/** Milvus's common.MaxTTLSeconds: 100 years. */
export const collectionTtlSecondsMax = 3_155_760_000;

/** Refuses (INVALID_ARGUMENT, Milvus's 1100 and its wording) a TTL value Milvus refuses. */
export function checkCollectionTtl(value: string | undefined): void {
  if (value === undefined) return;
  // Go's strconv.Atoi: an optional sign and decimal digits, nothing else.
  if (!/^[+-]?\d+$/.test(value)) fail('INVALID_ARGUMENT', { detail: 'collection TTL is not a valid positive integer' });
  const n = Number(value);
  if (n < -1 || n > collectionTtlSecondsMax) fail('INVALID_ARGUMENT', { detail: `collection TTL is out of range, expect [-1, ${collectionTtlSecondsMax}], got ${value}` });
}

/** The collection's TTL in seconds; 0 when rows never expire. Stored values were checked. */
export function collectionTtlSeconds(coll: Pick<CollectionMeta, 'properties'>): number {
  const v = coll.properties[collectionTtlKey];
  if (v === undefined) return 0;
  const n = Number(v);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}
