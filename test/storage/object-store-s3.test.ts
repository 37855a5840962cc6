// The ObjectStore suite against S3ObjectStore on the S3 stand-in (npm's s3rver, run by
// src/cluster/local-s3.ts as its own process), and what only S3 has: multipart uploads,
// objects without our checksum metadata, a server that is gone or never answers.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { HeadObjectCommand, ListMultipartUploadsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { S3ObjectStore, startS3, type LocalS3, type S3ObjectStoreOptions } from '../../src/cluster/index.js';
import { isElanusError } from '../../src/errors/index.js';
import type { ObjectStore } from '../../src/storage/index.js';
import { objectStoreConformance } from './conformance/object-store.js';

const coded = (code: string) => (e: unknown) => isElanusError(e) && e.code === code;
const mib = 2 ** 20;

// Every stand-in started here, stopped at the end (and each one ends by itself if this
// process dies: its stdin closes).
const started: Array<{ s3: () => LocalS3; dir: string }> = [];
after(async () => {
  for (const { s3, dir } of started) {
    await s3().stop();
    await rm(dir, { recursive: true, force: true });
  }
});

async function standIn(): Promise<{ s3: () => LocalS3; restart: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'elanus-s3-'));
  let s3 = await startS3({ dir });
  started.push({ s3: () => s3, dir });
  return {
    s3: () => s3,
    // A crash of the server: kill -9, then a new process on the same folder and port.
    restart: async () => {
      await s3.kill();
      s3 = await startS3({ dir, port: s3.port });
    },
  };
}

let shared: Promise<Awaited<ReturnType<typeof standIn>>> | undefined;
const sharedStandIn = () => (shared ??= standIn());

function optionsOf(s3: LocalS3, prefix: string): S3ObjectStoreOptions {
  return {
    endpoint: s3.endpoint, region: s3.region, bucket: s3.bucket, prefix, forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  };
}

function rawClient(s3: LocalS3): S3Client {
  return new S3Client({
    endpoint: s3.endpoint, region: s3.region, forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

let nextPrefix = 0;
const freshPrefix = (what: string) => `${what}${nextPrefix++}/`;

objectStoreConformance('S3ObjectStore on the s3rver stand-in (restart: a new client)', async () => {
  const { s3 } = await sharedStandIn();
  // Each test's store has its own namespace; a reopen keeps it.
  const prefix = freshPrefix('client');
  const open = () => S3ObjectStore.open(optionsOf(s3(), prefix));
  return {
    open,
    reopen: async (store: ObjectStore) => {
      await store.close();
      return open();
    },
    cleanup: async () => undefined,
  };
});

let crashing: Promise<Awaited<ReturnType<typeof standIn>>> | undefined;
objectStoreConformance('S3ObjectStore on the s3rver stand-in (restart: kill -9 of the server, started again on its folder)', async () => {
  const { s3, restart } = await (crashing ??= standIn());
  const prefix = freshPrefix('crash');
  const open = () => S3ObjectStore.open(optionsOf(s3(), prefix));
  return {
    open,
    reopen: async (store: ObjectStore) => {
      await store.close();
      await restart();
      return open();
    },
    cleanup: async () => undefined,
  };
});

test('S3ObjectStore: a putParts over one part is a multipart upload, stamped with its crc32 afterwards', async () => {
  const { s3 } = await sharedStandIn();
  const prefix = freshPrefix('mp');
  const store = await S3ObjectStore.open({ ...optionsOf(s3(), prefix), partBytes: 5 * mib });
  const raw = rawClient(s3());
  try {
    // Odd-sized parts, so parts are gathered across calls and the last one is short.
    const data = Uint8Array.from({ length: 11 * mib + 12_345 }, (_, i) => (i * 7) % 253);
    function* parts() { for (let at = 0; at < data.length; at += 777_777) yield data.subarray(at, at + 777_777); }
    const head = await store.putParts('big/1', parts());
    assert.deepEqual(head, { size: data.length, crc32: crc32(data) });
    assert.deepEqual(await store.head('big/1'), head);
    assert.ok(Buffer.from(await store.get('big/1')).equals(data));
    assert.ok(Buffer.from(await store.getRange('big/1', 5 * mib - 3, 10)).equals(data.subarray(5 * mib - 3, 5 * mib + 7)), 'a range across two parts');
    assert.deepEqual((await store.list('big/')).objects, [{ key: 'big/1', size: data.length }]);
    const meta = (await raw.send(new HeadObjectCommand({ Bucket: s3().bucket, Key: `${prefix}big/1` }))).Metadata;
    assert.equal(meta?.['elanus-crc32'], crc32(data).toString(16).padStart(8, '0'), 'the checksum is in the metadata, so head reads no bytes');
  } finally {
    raw.destroy();
    await store.close();
  }
});

test('S3ObjectStore: a part source that throws after a part was uploaded leaves no object and no upload', async () => {
  const { s3 } = await sharedStandIn();
  const prefix = freshPrefix('abort');
  const store = await S3ObjectStore.open({ ...optionsOf(s3(), prefix), partBytes: 5 * mib });
  const raw = rawClient(s3());
  try {
    await store.put('kept', new TextEncoder().encode('old'));
    function* failing() {
      yield new Uint8Array(6 * mib); // over one part: it is uploaded before the failure
      yield new Uint8Array(1000);
      throw new Error('the producer failed');
    }
    for (const key of ['kept', 'fresh']) await assert.rejects(store.putParts(key, failing()), /the producer failed/);
    assert.equal(new TextDecoder().decode(await store.get('kept')), 'old');
    assert.equal(await store.head('fresh'), undefined);
    assert.deepEqual((await store.list('')).objects.map((o) => o.key), ['kept']);
    const uploads = await raw.send(new ListMultipartUploadsCommand({ Bucket: s3().bucket, Prefix: prefix }));
    assert.deepEqual(uploads.Uploads ?? [], [], 'the uploads were aborted');
  } finally {
    raw.destroy();
    await store.close();
  }
});

test('S3ObjectStore: an object written without our metadata gets its crc32 by reading; a wrong checksum is CORRUPT_DATA', async () => {
  const { s3 } = await sharedStandIn();
  const prefix = freshPrefix('foreign');
  const store = await S3ObjectStore.open(optionsOf(s3(), prefix));
  const raw = rawClient(s3());
  try {
    const data = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 31) % 256);
    await raw.send(new PutObjectCommand({ Bucket: s3().bucket, Key: `${prefix}foreign/1`, Body: data }));
    assert.deepEqual(await store.head('foreign/1'), { size: data.length, crc32: crc32(data) });
    assert.ok(Buffer.from(await store.get('foreign/1')).equals(data));
    await raw.send(new PutObjectCommand({ Bucket: s3().bucket, Key: `${prefix}foreign/2`, Body: data, Metadata: { 'elanus-crc32': '00000000' } }));
    await assert.rejects(store.get('foreign/2'), coded('CORRUPT_DATA'));
  } finally {
    raw.destroy();
    await store.close();
  }
});

test('S3ObjectStore: prefixes keep stores apart in one bucket; deleteMany sends batches of 1000', async () => {
  const { s3 } = await sharedStandIn();
  const a = await S3ObjectStore.open(optionsOf(s3(), freshPrefix('ns')));
  const b = await S3ObjectStore.open(optionsOf(s3(), freshPrefix('ns')));
  try {
    await a.put('k/first', new Uint8Array([1]));
    await a.put('k/last', new Uint8Array([2]));
    await b.put('k/first', new Uint8Array([3]));
    assert.deepEqual((await a.list('')).objects.map((o) => o.key), ['k/first', 'k/last']);
    const many = ['k/first', ...Array.from({ length: 1500 }, (_, i) => `k/none-${i}`), 'k/last'];
    await a.deleteMany(many);
    assert.deepEqual((await a.list('')).objects, []);
    assert.deepEqual(await b.get('k/first'), new Uint8Array([3]), "the other namespace's object stays");
  } finally {
    await a.close();
    await b.close();
  }
});

test('S3ObjectStore: an endpoint that refuses connections is STORE_UNAVAILABLE, at open and on a store whose server died', { timeout: 60_000 }, async () => {
  const port = await freePort();
  const fast = { attemptsMax: 2, connectTimeoutMs: 1000, requestTimeoutMs: 2000 };
  const nowhere = { ...optionsOf(await sharedS3(), ''), endpoint: `http://127.0.0.1:${port}`, ...fast };
  await assert.rejects(S3ObjectStore.open(nowhere), (e: unknown) => {
    assert.ok(isElanusError(e, 'STORE_UNAVAILABLE'), String(e));
    assert.equal(e.details['endpoint'], `http://127.0.0.1:${port}`);
    assert.equal(e.retryable, true);
    return true;
  });
  // A server killed under an open store: its next calls fail the same way, then work again.
  const { s3, restart } = await (crashing ??= standIn());
  const store = await S3ObjectStore.open({ ...optionsOf(s3(), freshPrefix('gone')), ...fast });
  try {
    await store.put('x', new Uint8Array([1]));
    await s3().kill();
    await assert.rejects(store.get('x'), coded('STORE_UNAVAILABLE'));
    await assert.rejects(store.put('y', new Uint8Array([1])), coded('STORE_UNAVAILABLE'));
    await assert.rejects(store.list(''), coded('STORE_UNAVAILABLE'));
  } finally {
    await store.close();
    await restart();
  }
});

test('S3ObjectStore: an endpoint that accepts connections and never answers is STORE_UNAVAILABLE, not a hang', { timeout: 60_000 }, async () => {
  const sockets = new Set<Socket>();
  const silent: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const { port } = silent.address() as { port: number };
  try {
    const opts = { ...optionsOf(await sharedS3(), ''), endpoint: `http://127.0.0.1:${port}`, attemptsMax: 2, connectTimeoutMs: 500, requestTimeoutMs: 500 };
    await assert.rejects(S3ObjectStore.open(opts), coded('STORE_UNAVAILABLE'));
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  }
});

test("S3ObjectStore: a server that refuses is STORAGE_IO with S3's error code", async () => {
  const s3 = await sharedS3();
  const refused = (code: string) => (e: unknown) => isElanusError(e, 'STORAGE_IO') && e.message.includes(code);
  await assert.rejects(S3ObjectStore.open({ ...optionsOf(s3, ''), bucket: 'no-such-bucket' }), refused('NoSuchBucket'));
  await assert.rejects(S3ObjectStore.open({ ...optionsOf(s3, ''), credentials: { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'x' } }), refused('InvalidAccessKeyId'));
});

test('S3ObjectStore: settings are checked; a closed store refuses with CLOSED', async () => {
  const s3 = await sharedS3();
  for (const bad of [{ bucket: 'No_Such' }, { prefix: 'no-slash' }, { prefix: '/abs/' }, { endpoint: 'ftp://x' }, { partBytes: 1024 }, { attemptsMax: 0 }]) {
    await assert.rejects(S3ObjectStore.open({ ...optionsOf(s3, ''), ...bad }), coded('INVALID_ARGUMENT'), JSON.stringify(bad));
  }
  const store = await S3ObjectStore.open(optionsOf(s3, freshPrefix('closed')));
  await store.close();
  await store.close();
  await assert.rejects(store.get('x'), coded('CLOSED'));
  await assert.rejects(store.list(''), coded('CLOSED'));
});

test('startS3: stop and kill end the process and may be called again; a stand-in started again on its folder serves its objects', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'elanus-s3-'));
  let s3: LocalS3 | undefined;
  try {
    await assert.rejects(startS3({ dir, port: 70_000 }), coded('INVALID_ARGUMENT'));
    s3 = await startS3({ dir, bucket: 'other-bucket' });
    let store = await S3ObjectStore.open(optionsOf(s3, ''));
    await store.put('kept/1', new Uint8Array([7]));
    await store.close();
    await s3.stop();
    await s3.stop();
    await s3.kill();
    const { pid } = s3;
    assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, 'the process is gone');
    s3 = await startS3({ dir, bucket: 'other-bucket' });
    store = await S3ObjectStore.open(optionsOf(s3, ''));
    assert.deepEqual(await store.get('kept/1'), new Uint8Array([7]));
    await store.close();
    await s3.kill();
    await s3.stop();
    const again = s3.pid;
    assert.throws(() => process.kill(again, 0), { code: 'ESRCH' });
  } finally {
    await s3?.kill();
    await rm(dir, { recursive: true, force: true });
  }
});

async function sharedS3(): Promise<LocalS3> {
  return (await sharedStandIn()).s3();
}

/** A loopback port that nothing listens on (it was free a moment ago). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}
