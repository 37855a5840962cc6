// Starts the S3 stand-in (s3-standin-main.ts: npm's s3rver, made to behave as S3 where
// S3ObjectStore relies on it) as a child process on 127.0.0.1, for the tests and for
// `elanus cluster up`. Its data stays in `dir`, so a stand-in started again on the same
// folder (after stop() or a kill -9) serves the same objects.
//
// The child ends when its standard input closes, so it dies with the process that
// started it, even one killed with -9; stop() and kill() end it sooner and wait for it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ElanusError } from '../errors/index.js';

export interface LocalS3Options {
  /** The stand-in's data folder; created if missing. */
  readonly dir: string;
  /** A port to listen on; a free one when absent (the stand-in binds port 0 itself). */
  readonly port?: number;
  /** The bucket created at start ('elanus' when absent). */
  readonly bucket?: string;
  /** Milliseconds to wait until it serves. */
  readonly readyTimeoutMs?: number;
  /** Milliseconds stop() waits after SIGTERM before SIGKILL. */
  readonly stopTimeoutMs?: number;
}

export interface LocalS3 {
  /** http://127.0.0.1:<port>; path-style addressing (forcePathStyle) is needed. */
  readonly endpoint: string;
  readonly port: number;
  readonly bucket: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly pid: number;
  /** SIGTERM, then SIGKILL after stopTimeoutMs; resolves once the process is gone. */
  stop(): Promise<void>;
  /** SIGKILL (a crash); resolves once the process is gone. */
  kill(): Promise<void>;
}

export const localS3Defaults = Object.freeze({
  bucket: 'elanus',
  readyTimeoutMs: 15_000,
  stopTimeoutMs: 5_000,
  // s3rver's fixed account.
  accessKeyId: 'S3RVER',
  secretAccessKey: 'S3RVER',
  region: 'us-east-1',
});

/** Bytes of the child's stderr kept for the error when it fails to start. */
const stderrKeptBytesMax = 4096;

const mainPath = fileURLToPath(new URL('./s3-standin-main.js', import.meta.url));

export async function startS3(opts: LocalS3Options): Promise<LocalS3> {
  const bucket = opts.bucket ?? localS3Defaults.bucket;
  const readyTimeoutMs = opts.readyTimeoutMs ?? localS3Defaults.readyTimeoutMs;
  const stopTimeoutMs = opts.stopTimeoutMs ?? localS3Defaults.stopTimeoutMs;
  const port = opts.port ?? 0;
  if (typeof opts.dir !== 'string' || opts.dir === '') throw new ElanusError('INVALID_ARGUMENT', { detail: 'startS3 needs { dir }' });
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ElanusError('INVALID_ARGUMENT', { detail: `port must be an integer from 0 to 65535, got ${String(port)}` });
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new ElanusError('INVALID_ARGUMENT', { detail: `bucket ${JSON.stringify(bucket)} is not an S3 bucket name` });
  await mkdir(opts.dir, { recursive: true });
  const child = spawn(process.execPath, ['--openssl-legacy-provider', mainPath, '--dir', opts.dir, '--bucket', bucket, '--port', String(port)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A failed spawn or signal is an 'error' event; the exit (or the ready wait) reports it.
  let spawnError: Error | undefined;
  child.on('error', (e) => {
    spawnError = e;
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-stderrKeptBytesMax);
  });
  let actualPort: number;
  try {
    actualPort = await readyPort(child, readyTimeoutMs, () => `${spawnError === undefined ? '' : `${spawnError.message}; `}${stderr}`);
  } catch (e) {
    // A process that never started (no pid) has no exit to wait for.
    if (child.pid !== undefined) {
      child.kill('SIGKILL');
      await exited;
    }
    throw e;
  }
  // From here the child must not keep the parent alive: the parent's exit closes the
  // child's stdin, which ends it.
  unref(child);
  const pid = child.pid as number;
  const end = async (signal: NodeJS.Signals, graceMs: number | undefined): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.ref(); // so that the wait below keeps the parent's event loop
    child.kill(signal);
    if (graceMs !== undefined) {
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    } else {
      await exited;
    }
  };
  return Object.freeze({
    endpoint: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    bucket,
    region: localS3Defaults.region,
    accessKeyId: localS3Defaults.accessKeyId,
    secretAccessKey: localS3Defaults.secretAccessKey,
    pid,
    stop: () => end('SIGTERM', stopTimeoutMs),
    kill: () => end('SIGKILL', undefined),
  });
}

/** Waits for the child's {"port":N} line; fails if it exits or stays silent too long. */
function readyPort(child: ChildProcess, timeoutMs: number, stderr: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    const failed = (detail: string) => {
      cleanup();
      reject(new ElanusError('STORE_UNAVAILABLE', { store: 'S3 stand-in', endpoint: '127.0.0.1', detail: `${detail}${stderr() === '' ? '' : `; stderr: ${stderr().trim()}`}` }));
    };
    const onData = (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl === -1) return;
      let port: unknown;
      try {
        port = (JSON.parse(out.slice(0, nl)) as { port?: unknown }).port;
      } catch {
        port = undefined;
      }
      cleanup();
      if (typeof port === 'number') resolve(port);
      else reject(new ElanusError('INTERNAL', { detail: `the S3 stand-in said ${out.slice(0, nl)}` }));
    };
    const onExit = (code: number | null, signal: string | null) => failed(`the stand-in exited (${code ?? signal}) before serving`);
    const onError = (e: Error) => failed(`the stand-in could not be started: ${e.message}`);
    const timer = setTimeout(() => failed(`the stand-in did not serve within ${timeoutMs} ms`), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

function unref(child: ChildProcess): void {
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
}
