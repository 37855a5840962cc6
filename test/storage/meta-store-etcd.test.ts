// The MetaStore suite against EtcdMetaStore on a real etcd (Debian's etcd-server), one
// server for the file, each subject in a key namespace of its own. Two subjects: one
// whose restart is a new client, and one whose restart kills the server with SIGKILL and
// starts it again on the same data folder (every acknowledged write must be there). Then
// what only etcd has: the watch queue's bound, an unreachable server, TLS and passwords.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { isElanusError } from '../../src/errors/index.js';
import { EtcdMetaStore, startEtcd, type EtcdMetaStoreOptions, type LocalEtcd } from '../../src/cluster/index.js';
import type { MetaStore } from '../../src/storage/index.js';
import { serverBinary } from '../../src/testing/index.js';
import { metaStoreConformance } from './conformance/meta-store.js';

const binary = serverBinary('etcd', 'etcd-server');

/** etcd's shortest lease with startEtcd's timing: 1.5 election timeouts (100 ms), rounded up to whole seconds. */
const etcdLeaseTtlMsMin = 1000;

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

/** A temporary folder, removed when the file ends. */
async function tempDir(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `elanus-${name}-`));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** One server for the file, started at first use; restart() kills it and starts it on the same folder and ports. */
class SharedEtcd {
  private server: Promise<LocalEtcd> | undefined;
  private dir: string | undefined;
  /** The running server, once started. */
  private live: LocalEtcd | undefined;

  async current(): Promise<LocalEtcd> {
    this.server ??= (async () => {
      this.dir = join(await tempDir('etcd'), 'data');
      const s = await startEtcd({ dir: this.dir, binary });
      cleanups.push(() => this.stop());
      this.live = s;
      return s;
    })();
    return this.server;
  }

  async crashAndRestart(): Promise<LocalEtcd> {
    const old = await this.current();
    await old.kill();
    this.live = undefined;
    this.server = startEtcd({ dir: this.dir as string, binary, clientPort: old.clientPort, peerPort: old.peerPort });
    this.live = await this.server;
    return this.live;
  }

  /** SIGKILL at once, without waiting (a crash in the middle of what the caller does next). */
  killNow(): void {
    assert.ok(this.live, 'no server is running');
    void this.live.kill();
  }

  async stop(): Promise<void> {
    const s = await this.server;
    await s?.stop();
  }
}

const shared = new SharedEtcd();
let namespaces = 0;

async function openStore(extra: Partial<EtcdMetaStoreOptions> = {}, namespace = `t${++namespaces}/`): Promise<EtcdMetaStore> {
  const s = await shared.current();
  return EtcdMetaStore.open({ endpoints: s.endpoints, namespace, ...extra });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

if (binary === undefined) {
  test('EtcdMetaStore on a real etcd', { skip: 'etcd is not installed: apt-get install etcd-server (ELANUS_REQUIRE_SERVERS=1 makes this a failure)' }, () => undefined);
} else {
  metaStoreConformance('EtcdMetaStore on etcd (restart: a new client)', async () => {
    const namespace = `t${++namespaces}/`;
    const open = () => openStore({}, namespace);
    return {
      open,
      reopen: async (s: MetaStore) => {
        await s.close();
        return open();
      },
      wait: sleep,
      leaseTtlMsMin: etcdLeaseTtlMsMin,
      cleanup: async () => undefined,
    };
  });

  metaStoreConformance('EtcdMetaStore on etcd (restart: the server killed with SIGKILL and started again)', async () => {
    const namespace = `t${++namespaces}/`;
    // crashAfter(n): the server is killed as the (n+1)th transaction from now is sent, so
    // the transactions in flight with it die with the server, as in a crash mid-write.
    let txnsBeforeCrash: number | undefined;
    const open = async () => {
      const store = await openStore({}, namespace);
      return new Proxy(store, {
        get(target, name, receiver) {
          if (name !== 'txn') return Reflect.get(target, name, receiver);
          return (req: Parameters<MetaStore['txn']>[0]) => {
            if (txnsBeforeCrash !== undefined && txnsBeforeCrash-- <= 0) {
              txnsBeforeCrash = undefined;
              shared.killNow();
            }
            return target.txn(req);
          };
        },
      });
    };
    return {
      open,
      reopen: async (s: MetaStore) => {
        txnsBeforeCrash = undefined;
        await s.close();
        await shared.crashAndRestart();
        return open();
      },
      crashAfter: (ops: number) => {
        txnsBeforeCrash = ops;
      },
      wait: sleep,
      leaseTtlMsMin: etcdLeaseTtlMsMin,
      cleanup: async () => undefined,
    };
  });

  describe('EtcdMetaStore on etcd: what only etcd has', () => {
    test('a watcher that does not read is paused at its bound and resumes where it stopped, each revision once', async () => {
      const store = await openStore({ watchBatchesMax: 4 });
      try {
        const w = await store.watch('q/');
        const revisions: number[] = [];
        for (let i = 0; i < 40; i++) revisions.push(await store.put(`q/${i % 3}`, String(i)));
        // Give etcd time to push what it would: the queue stops at its bound.
        await sleep(200);
        // etcd sends a watcher in step one revision a message: the queue stops at its bound.
        const queued = (w as unknown as { queuedBatches: number }).queuedBatches;
        assert.ok(queued >= 4 && queued < revisions.length, `${queued} batches queued, the bound is 4`);
        const got: number[] = [];
        while (got.length < revisions.length) got.push((await w.next())!.revision);
        assert.deepEqual(got, revisions);
        w.close();
      } finally {
        await store.close();
      }
    });

    test('a paused watcher whose next revision was compacted meanwhile fails with COMPACTED, naming both revisions', async () => {
      const store = await openStore({ watchBatchesMax: 2 });
      try {
        const w = await store.watch('z/');
        const first = await store.put('z/a', '0');
        for (let i = 1; i < 10; i++) await store.put('z/a', String(i));
        await sleep(200);
        const last = await store.revision();
        await store.compact(last);
        assert.equal((await w.next())?.revision, first);
        assert.equal((await w.next())?.revision, first + 1, 'the queued batches are still delivered');
        await assert.rejects(w.next(), (e: unknown) => isElanusError(e, 'COMPACTED') && e.details.revision === first + 2 && e.details.oldest === last);
        await assert.rejects(store.watch('z/', { fromRevision: first }), (e: unknown) => isElanusError(e, 'COMPACTED') && e.details.oldest === last);
        w.close();
      } finally {
        await store.close();
      }
    });

    test('a txn over etcd\'s request size is LIMIT_EXCEEDED, counted here or refused by etcd', async () => {
      const store = await openStore();
      try {
        const big = 'v'.repeat(1024 * 1024);
        const two = { success: [{ op: 'put' as const, key: 'big/a', value: big }, { op: 'put' as const, key: 'big/b', value: big.slice(0, 768 * 1024) }] };
        await assert.rejects(store.txn(two), (e: unknown) => isElanusError(e, 'LIMIT_EXCEEDED'));
        const trusting = await openStore({ requestBytesMax: 4 * 1024 * 1024 });
        try {
          await assert.rejects(trusting.txn(two), (e: unknown) => isElanusError(e, 'LIMIT_EXCEEDED'), 'etcd refuses it too');
        } finally {
          await trusting.close();
        }
        await store.put('big/a', big);
        assert.equal((await store.get('big/a'))?.value.length, big.length, 'one value at the limit is taken');
      } finally {
        await store.close();
      }
    });

    test('lease TTLs are whole seconds and at least etcd\'s minimum', async () => {
      const store = await openStore();
      try {
        const short = await store.grantLease(1);
        assert.equal(await store.keepAlive(short), etcdLeaseTtlMsMin);
        const odd = await store.grantLease(4200);
        assert.equal(await store.keepAlive(odd), 5000);
        await store.revokeLease(short);
        await store.revokeLease(odd);
      } finally {
        await store.close();
      }
    });

    test('an unreachable server is STORE_UNAVAILABLE, at open and later; the same client works again once it is back', async () => {
      const nowhere = await startEtcd({ dir: await tempDir('gone'), binary });
      const endpoints = nowhere.endpoints;
      const store = await EtcdMetaStore.open({ endpoints, namespace: 'u/', requestTimeoutMs: 3000 });
      try {
        await store.put('a', '1');
        const w = await store.watch('');
        await nowhere.kill();
        await assert.rejects(store.get('a'), (e: unknown) => isElanusError(e, 'STORE_UNAVAILABLE') && e.details.endpoint === endpoints[0]);
        await assert.rejects(store.put('b', '2'), (e: unknown) => isElanusError(e, 'STORE_UNAVAILABLE'));
        await assert.rejects(w.next(), (e: unknown) => isElanusError(e, 'STORE_UNAVAILABLE'));
        await assert.rejects(EtcdMetaStore.open({ endpoints, dialTimeoutMs: 2000 }), (e: unknown) => isElanusError(e, 'STORE_UNAVAILABLE'));
        const back = await startEtcd({ dir: (await tempDir('back')) + '/d', binary, clientPort: nowhere.clientPort, peerPort: nowhere.peerPort });
        cleanups.push(() => back.stop());
        // A new server (empty) on the same address: the client reconnects by itself.
        let ok = false;
        for (let i = 0; i < 50 && !ok; i++) ok = await store.put('c', '3').then(() => true, () => sleep(100).then(() => false));
        assert.ok(ok, 'the client did not reconnect');
        assert.equal((await store.get('c'))?.value, '3');
        w.close();
        await back.stop();
      } finally {
        await store.close();
        await nowhere.stop();
      }
    });

    test('user and password: the right ones work, wrong ones are refused', async () => {
      const server = await startEtcd({ dir: await tempDir('auth'), binary });
      cleanups.push(() => server.stop());
      const root = new Etcd3({ hosts: server.endpoints.map((e) => e.replace('http://', '')) });
      try {
        await root.role('root').create();
        await root.user('root').create('root-secret');
        await root.user('root').addRole('root');
        await root.auth.authEnable();
      } finally {
        root.close();
      }
      const store = await EtcdMetaStore.open({ endpoints: server.endpoints, namespace: 'auth/', auth: { username: 'root', password: 'root-secret' } });
      try {
        const r = await store.put('k', 'v');
        assert.equal((await store.get('k'))?.modRevision, r);
      } finally {
        await store.close();
      }
      await assert.rejects(
        EtcdMetaStore.open({ endpoints: server.endpoints, auth: { username: 'root', password: 'wrong' } }),
        (e: unknown) => isElanusError(e, 'STORE_UNAVAILABLE'),
      );
      await assert.rejects(EtcdMetaStore.open({ endpoints: server.endpoints }), (e: unknown) => isElanusError(e, 'STORE_UNAVAILABLE'), 'without credentials');
      await server.stop();
    });

    test('TLS with client certificates: the CA and a client certificate work, none is refused', async (t) => {
      const dir = await tempDir('tls');
      try {
        makeCertificates(dir);
      } catch (e) {
        return t.skip(`openssl could not make test certificates: ${(e as Error).message}`);
      }
      const server = await startEtcd({
        dir: join(dir, 'data'), binary,
        tls: { certFile: join(dir, 'node.pem'), keyFile: join(dir, 'node-key.pem'), trustedCaFile: join(dir, 'ca.pem'), clientCertAuth: true },
      });
      cleanups.push(() => server.stop());
      assert.ok(server.endpoints[0]!.startsWith('https://'));
      const ca = await readFile(join(dir, 'ca.pem'));
      const store = await EtcdMetaStore.open({
        endpoints: server.endpoints, namespace: 'tls/',
        tls: { ca, cert: await readFile(join(dir, 'node.pem')), key: await readFile(join(dir, 'node-key.pem')) },
      });
      try {
        await store.put('k', 'v');
        assert.equal((await store.get('k'))?.value, 'v');
      } finally {
        await store.close();
      }
      await assert.rejects(EtcdMetaStore.open({ endpoints: server.endpoints, tls: { ca }, dialTimeoutMs: 3000 }), (e: unknown) => isElanusError(e, 'STORE_UNAVAILABLE'), 'no client certificate');
      await server.stop();
    });
  });
}

/** A throwaway CA and one certificate for 127.0.0.1 usable by the server and as a client's. */
function makeCertificates(dir: string): void {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=elanus-test-ca', '-keyout', 'ca-key.pem', '-out', 'ca.pem');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'node-key.pem', '-out', 'node.csr');
  const ext = 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n';
  writeFileSync(join(dir, 'node.ext'), ext);
  run('x509', '-req', '-in', 'node.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '1', '-extfile', 'node.ext', '-out', 'node.pem');
}
