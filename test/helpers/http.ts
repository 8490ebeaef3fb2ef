// Raw HTTP helpers for the security, fault and fuzz tests: every call is bounded in time, reads
// status, headers and body, and never throws for an HTTP status (only for a hung socket).
import * as http from 'node:http';
import * as net from 'node:net';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json(): any;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  /** The whole exchange must finish within this time, else the promise rejects ("hung socket"). */
  timeoutMs?: number;
  /** Replace the Host header (DNS rebinding tests); `null` sends none. */
  host?: string | null;
  agent?: http.Agent | false;
}

export function request(baseUrl: string, path: string, options: RequestOptions = {}): Promise<RawResponse> {
  const url = new URL(path, baseUrl);
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...options.headers };
    if (options.body !== undefined && headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) {
      headers['content-length'] = Buffer.byteLength(options.body);
    }
    if (options.host !== undefined && options.host !== null) headers.host = options.host;
    const req = http.request(
      {
        // URL keeps IPv6 in brackets; the socket wants it bare.
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port,
        path: url.pathname + url.search,
        method: options.method ?? 'GET',
        headers,
        // Our own Host (even an empty one) replaces Node's default.
        setHost: options.host === undefined,
        agent: options.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
        res.on('error', fail);
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`${options.method ?? 'GET'} ${path}: no complete answer within ${timeoutMs} ms (hung socket)`));
    }, timeoutMs);
    function fail(err: Error) {
      clearTimeout(timer);
      reject(err);
    }
    req.on('error', fail);
    req.end(options.body);
  });
}

export function postJson(baseUrl: string, path: string, body: unknown, options: RequestOptions = {}): Promise<RawResponse> {
  return request(baseUrl, path, {
    ...options,
    // POST unless told (a PUT route carries JSON too).
    method: options.method ?? 'POST',
    body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...options.headers },
  });
}

/**
 * Opens a TCP socket, writes `chunks` with `gapMs` between them and reports when the server
 * closed it. Resolves with how long the socket lived and what the server sent.
 */
export function slowClient(
  port: number,
  chunks: string[],
  gapMs: number,
  maxMs: number,
): Promise<{ closedByServer: boolean; aliveMs: number; received: string }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    let i = 0;
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearInterval(writer);
      clearTimeout(limit);
      socket.destroy();
      resolve({ closedByServer, aliveMs: Date.now() - started, received });
    };
    socket.on('data', (d) => (received += d.toString()));
    socket.on('close', () => finish(true));
    socket.on('end', () => finish(true));
    socket.on('error', () => finish(true));
    const writer = setInterval(() => {
      if (i < chunks.length && socket.writable) socket.write(chunks[i++]);
    }, gapMs);
    const limit = setTimeout(() => finish(false), maxMs);
  });
}

/** Resident set size of a process in bytes, from /proc (Linux). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? NaN);
  return kb * 1024;
}

/** Open sockets of a process (its fds that are sockets), from /proc (Linux). */
export function socketCount(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      // fd closed while we looked
    }
  }
  return n;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 25 ms until it returns true or `timeoutMs` passes. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}
