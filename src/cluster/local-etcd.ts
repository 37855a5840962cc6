// Starts one etcd member on loopback, for the tests and for `elanus cluster up`.
//
// The member listens on 127.0.0.1 only, keeps its data in `dir` (start it again on the
// same folder and it has every write it acknowledged), and is stopped with SIGTERM, then
// SIGKILL after `stopTimeoutMs`. Ports not given are found free by listening on port 0;
// another process can take such a port before etcd binds it, so a start whose etcd exits
// early is tried again with new ports. Every member started here is killed when this
// process exits, however it exits, so none outlives a test run.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ElanusError } from '../errors/index.js';
import { freePort } from './free-port.js';

export interface StartEtcdOptions {
  /** The member's data folder (created if missing). */
  readonly dir: string;
  /** Client port; default a free one. */
  readonly clientPort?: number;
  /** Peer port; default a free one. */
  readonly peerPort?: number;
  /** Member name; default 'elanus'. */
  readonly name?: string;
  /** The etcd binary; default `etcd` on the PATH. */
  readonly binary?: string;
  /** Serve clients over TLS (files in PEM); with `clientCertAuth`, a client must present a certificate the CA signed. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly trustedCaFile: string; readonly clientCertAuth?: boolean };
  /**
   * Raft's heartbeat and election timeout; default 10 and 100 ms. One member on loopback
   * has no peer to wait for, and with etcd's defaults (100 and 1,000 ms) a restarted member
   * takes 1-2 s to elect itself. They also set etcd's shortest lease: 1.5 election
   * timeouts rounded up to whole seconds (1 s here, 2 s with etcd's defaults).
   */
  readonly heartbeatMs?: number;
  readonly electionTimeoutMs?: number;
  /** Time for the member to answer its health check; default 20,000 ms. */
  readonly startTimeoutMs?: number;
  /** Time a SIGTERM gets before SIGKILL; default 5,000 ms. */
  readonly stopTimeoutMs?: number;
}

export interface LocalEtcd {
  /** Client URLs, for EtcdMetaStoreOptions.endpoints. */
  readonly endpoints: readonly string[];
  readonly clientPort: number;
  readonly peerPort: number;
  readonly pid: number;
  /** SIGTERM, then SIGKILL past the deadline; resolves when the process is gone. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL (a crash: etcd keeps only what it fsynced); resolves when the process is gone. */
  kill(): Promise<void>;
}

/** Starts tried before giving up on port races. */
const startTriesMax = 5;
/** Interval of health checks while a member starts. */
const healthPollMs = 50;
/** Lines of etcd's output kept to explain a failed start. */
const outputLinesMax = 40;

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killAll(): void {
  for (const child of running) child.kill('SIGKILL');
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers run synchronously: a kill is all there is time for.
  process.on('exit', killAll);
  // A signal's default action ends the process without 'exit' handlers (the test runner
  // stops a file that way). Where nobody else handles the signal, kill the members and
  // end as the signal would have; where someone does (a server's graceful stop), it
  // stops them, and the 'exit' hook catches what it leaves.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      if (process.listenerCount(sig) > 1) return;
      killAll();
      process.removeListener(sig, onSignal);
      process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

export async function startEtcd(opts: StartEtcdOptions): Promise<LocalEtcd> {
  await mkdir(opts.dir, { recursive: true });
  let lastError: unknown;
  for (let attempt = 1; attempt <= startTriesMax; attempt++) {
    // Ports given by the caller are not changed: a failure with them is final.
    const fixed = opts.clientPort !== undefined && opts.peerPort !== undefined;
    try {
      return await startOnce(opts, opts.clientPort ?? (await freePort()), opts.peerPort ?? (await freePort()));
    } catch (e) {
      lastError = e;
      if (fixed || !(e instanceof StartFailure) || !e.portTaken) break;
    }
  }
  throw lastError;
}

class StartFailure extends ElanusError {
  constructor(endpoint: string, detail: string, readonly portTaken: boolean) {
    super('STORE_UNAVAILABLE', { store: 'etcd server', endpoint, detail });
  }
}

async function startOnce(opts: StartEtcdOptions, clientPort: number, peerPort: number): Promise<LocalEtcd> {
  const name = opts.name ?? 'elanus';
  const scheme = opts.tls ? 'https' : 'http';
  const clientUrl = `${scheme}://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name', name, '--data-dir', opts.dir,
    '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
    '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `${name}=${peerUrl}`, '--initial-cluster-state', 'new',
    '--logger', 'zap', '--log-outputs', 'stderr', '--log-level', 'warn',
    '--heartbeat-interval', String(opts.heartbeatMs ?? 10), '--election-timeout', String(opts.electionTimeoutMs ?? 100),
  ];
  if (opts.tls) {
    args.push('--cert-file', opts.tls.certFile, '--key-file', opts.tls.keyFile, '--trusted-ca-file', opts.tls.trustedCaFile);
    if (opts.tls.clientCertAuth) args.push('--client-cert-auth');
  }
  installExitHook();
  const child = spawn(opts.binary ?? 'etcd', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') output.push(line);
    output.splice(0, Math.max(0, output.length - outputLinesMax));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const gone = new Promise<void>((resolve) => {
    const done = () => {
      exited = true;
      running.delete(child);
      resolve();
    };
    child.once('exit', done);
    // A binary that cannot be spawned fires 'error' and no 'exit'.
    child.once('error', (e) => {
      output.push(String(e));
      done();
    });
  });

  const deadline = Date.now() + (opts.startTimeoutMs ?? 20_000);
  while (!(await healthy(clientUrl, opts.tls))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      await gone;
      const text = output.join('\n');
      throw new StartFailure(clientUrl, exited ? `etcd exited at start: ${text.slice(-2000)}` : `etcd did not become healthy in time: ${text.slice(-2000)}`, /address already in use/.test(text));
    }
    await new Promise((r) => setTimeout(r, healthPollMs));
  }

  const stopTimeoutMs = opts.stopTimeoutMs ?? 5_000;
  const signal = async (sig: NodeJS.Signals, graceMs: number | undefined) => {
    if (!exited) child.kill(sig);
    if (graceMs === undefined) return gone;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([gone, late]);
    clearTimeout(timer);
    if (!exited) child.kill('SIGKILL');
    return gone;
  };
  return {
    endpoints: [clientUrl],
    clientPort,
    peerPort,
    pid: child.pid as number,
    stop: () => signal('SIGTERM', stopTimeoutMs),
    kill: () => signal('SIGKILL', undefined),
  };
}

/** A port nothing listens on at this moment. */

/** etcd's /health answers {"health":"true"} once the member has a leader and serves. */
function healthy(clientUrl: string, tls: StartEtcdOptions['tls']): Promise<boolean> {
  return new Promise((resolve) => {
    const url = new URL('/health', clientUrl);
    const done = (ok: boolean) => resolve(ok);
    const onResponse = (res: import('node:http').IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => done(res.statusCode === 200 && body.includes('"health":"true"')));
      res.on('error', () => done(false));
    };
    const req = tls
      ? httpsRequest(url, { ...tlsFiles(tls), timeout: 1000 }, onResponse)
      : httpRequest(url, { timeout: 1000 }, onResponse);
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(false));
    req.end();
  });
}

function tlsFiles(tls: NonNullable<StartEtcdOptions['tls']>): { ca: Buffer; cert?: Buffer; key?: Buffer } {
  // The health check presents the server's own certificate as a client one: the throwaway
  // certificates made for a test are made for both uses.
  return { ca: readFileSync(tls.trustedCaFile), cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) };
}
