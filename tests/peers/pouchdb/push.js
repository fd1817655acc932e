#!/usr/bin/env node
'use strict';

// PouchDB reference measurement for the FieldTrace sync benchmark.
//
//   node push.js --docs FILE.jsonl [--batch-size 100] [--verbose]
//
// Starts a private `pouchdb-server --in-memory` on a free loopback port, loads
// the documents into a local in-memory PouchDB (not timed), then times
// `local.replicate.to(remote, {batch_size})` to completion and prints one JSON
// line to stdout. See README.md.

// ---------------------------------------------------------------------------
// Watchdog mode: this file is also preloaded (`node -r push.js`) into the
// pouchdb-server child. There it only makes the server exit as soon as its
// stdin pipe closes, i.e. when the parent is gone for whatever reason (even
// SIGKILL), so the server can never outlive the measurement.
if (process.env.FIELDTRACE_POUCH_WATCHDOG === '1') {
  delete process.env.FIELDTRACE_POUCH_WATCHDOG;
  const quit = () => {
    // Remove the private working directory the parent made for us.
    const cwd = process.cwd();
    const tmp = require('os').tmpdir();
    if (require('path').basename(cwd).startsWith('ft-pouchdb-server-') && require('path').dirname(cwd) === tmp) {
      try { require('fs').rmSync(cwd, { recursive: true, force: true }); } catch (_) { /* ignore */ }
    }
    process.exit(0);
  };
  process.stdin.on('end', quit);
  process.stdin.on('close', quit);
  process.stdin.on('error', quit);
  process.stdin.resume();
  return; // eslint-disable-line no-useless-return -- CommonJS top-level return
}

const fs = require('fs');
const os = require('os');
const path = require('path');
const net = require('net');
const http = require('http');
const dc = require('diagnostics_channel');
const { spawn } = require('child_process');
const { performance } = require('perf_hooks');

const PEER = 'pouchdb-server 4.2.0';
const HERE = __dirname;
const READY_TIMEOUT_MS = 30000;
const REPLICATION_TIMEOUT_MS = 10 * 60 * 1000;

// Nothing but the result line may reach stdout: route stray logging to stderr.
const writeResult = (line) => process.stdout.write(line + '\n');
console.log = (...a) => console.error(...a);
console.info = (...a) => console.error(...a);

let verbose = false;
const debug = (...a) => { if (verbose) console.error('[push.js]', ...a); };

// ---------------------------------------------------------------------------
// Arguments

function usage() {
  return 'usage: node push.js --docs FILE.jsonl [--batch-size 100] [--verbose]';
}

function parseArgs(argv) {
  const out = { docs: null, batchSize: 100 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const key = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const inline = a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : undefined;
    const value = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length) throw new Error(`${key} needs a value\n${usage()}`);
      return argv[++i];
    };
    switch (key) {
      case '--docs': out.docs = value(); break;
      case '--batch-size': {
        const v = value();
        if (!/^[1-9][0-9]*$/.test(v)) throw new Error(`--batch-size must be a positive integer, got ${JSON.stringify(v)}`);
        out.batchSize = Number(v);
        break;
      }
      case '--verbose': case '-v': verbose = true; break;
      case '--help': case '-h': process.stderr.write(usage() + '\n'); process.exit(0); break;
      default: throw new Error(`unknown argument ${JSON.stringify(a)}\n${usage()}`);
    }
  }
  if (!out.docs) throw new Error(`--docs is required\n${usage()}`);
  return out;
}

function readDocs(file) {
  let text;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${file}: ${e.message}`);
  }
  const docs = [];
  const ids = new Set();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let doc;
    try {
      doc = JSON.parse(line);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: invalid JSON: ${e.message}`);
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      throw new Error(`${file}:${i + 1}: not a JSON object`);
    }
    if (typeof doc._id !== 'string' || doc._id === '') {
      throw new Error(`${file}:${i + 1}: missing string _id`);
    }
    if (ids.has(doc._id)) throw new Error(`${file}:${i + 1}: duplicate _id ${JSON.stringify(doc._id)}`);
    ids.add(doc._id);
    docs.push(doc);
  }
  if (docs.length === 0) throw new Error(`${file}: no documents`);
  return docs;
}

// ---------------------------------------------------------------------------
// Server lifecycle

let server = null; // { child, dir, exited: Promise }

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function serverScript() {
  const bin = path.join(HERE, 'node_modules', '.bin', 'pouchdb-server');
  if (!fs.existsSync(bin)) {
    throw new Error(`${bin} not found: run \`npm install\` in ${HERE} first`);
  }
  return fs.realpathSync(bin); // the JS entry point behind the .bin link
}

function startServer(port) {
  // pouchdb-server writes config.json and log.txt into its working directory:
  // give it a private temporary one.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-pouchdb-server-'));
  const args = ['-r', __filename, serverScript(), '--in-memory', '-p', String(port), '-o', '127.0.0.1'];
  const child = spawn(process.execPath, args, {
    cwd: dir,
    env: { ...process.env, FIELDTRACE_POUCH_WATCHDOG: '1' },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  child.stdin.on('error', () => {});
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  child.on('error', (e) => { stderr += `\nspawn error: ${e.message}`; });
  server = { child, dir, exited, port, stderr: () => stderr, done: false };
  exited.then(() => { server && server.child === child && (server.done = true); });
  debug(`spawned pouchdb-server pid ${child.pid} on port ${port}`);
  return server;
}

function killServerSync() {
  if (!server) return;
  const s = server;
  if (!s.done) {
    try { s.child.kill('SIGKILL'); } catch (_) { /* already gone */ }
  }
  try { fs.rmSync(s.dir, { recursive: true, force: true }); } catch (_) { /* ignore */ }
}

async function stopServer() {
  if (!server) return;
  const s = server;
  if (!s.done) {
    s.child.kill('SIGTERM');
    const t = setTimeout(() => { if (!s.done) s.child.kill('SIGKILL'); }, 3000);
    await s.exited;
    clearTimeout(t);
  }
  try { fs.rmSync(s.dir, { recursive: true, force: true }); } catch (_) { /* ignore */ }
  server = null;
}

process.on('exit', killServerSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    killServerSync();
    process.stderr.write(`push.js: interrupted by ${sig}\n`);
    process.exit(1);
  });
}

// Plain HTTP GET outside the measured connections (own connection, no agent).
function getJson(port, urlPath, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode, body: JSON.parse(body) });
        } catch (e) {
          reject(new Error(`GET ${urlPath}: bad JSON (${res.statusCode}): ${body.slice(0, 200)}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${urlPath}: timeout`)));
    req.on('error', reject);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitReady(s) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (s.done) throw new Error(`pouchdb-server exited before answering:\n${s.stderr()}`);
    if (/already in use/.test(s.stderr())) throw Object.assign(new Error(`port ${s.port} in use`), { portInUse: true });
    try {
      const r = await getJson(s.port, '/', 1000);
      if (r.status === 200 && r.body && (r.body['express-pouchdb'] || r.body.couchdb)) return r.body;
      throw new Error(`unexpected answer to GET /: ${r.status} ${JSON.stringify(r.body)}`);
    } catch (e) {
      if (!/ECONNREFUSED|ECONNRESET|timeout|socket hang up/.test(e.message)) throw e;
    }
    if (Date.now() > deadline) throw new Error(`pouchdb-server did not answer GET / within ${READY_TIMEOUT_MS} ms:\n${s.stderr()}`);
    await sleep(50);
  }
}

async function startReadyServer() {
  for (let attempt = 1; ; attempt++) {
    const s = startServer(await freePort());
    try {
      const welcome = await waitReady(s);
      debug('server ready:', JSON.stringify(welcome));
      return s;
    } catch (e) {
      await stopServer();
      if (!e.portInUse || attempt >= 3) throw e;
      debug(`port race (${e.message}), retrying`);
    }
  }
}

// ---------------------------------------------------------------------------
// Wire accounting: every TCP client socket this process opens while `counting`
// is on is recorded; its bytesWritten/bytesRead are the bytes on the wire
// (HTTP request/response lines, headers and bodies; no TCP/IP overhead).

const wire = { counting: false, sockets: [], requests: 0, endpoints: {} };
dc.subscribe('net.client.socket', ({ socket }) => {
  if (wire.counting) wire.sockets.push(socket);
});
dc.subscribe('http.client.request.start', ({ request }) => {
  if (!wire.counting) return;
  wire.requests++;
  // e.g. "POST /bench/_bulk_docs", "GET /bench/_local/<id>" -> "GET /bench/_local"
  const p = String(request.path || '').split('?')[0].split('/').slice(0, 3).join('/');
  const k = `${request.method} ${p}`;
  wire.endpoints[k] = (wire.endpoints[k] || 0) + 1;
});
function wireTotals() {
  let up = 0;
  let down = 0;
  for (const s of wire.sockets) {
    up += s.bytesWritten || 0;
    down += s.bytesRead || 0;
  }
  return { up, down, connections: wire.sockets.length, requests: wire.requests };
}

// ---------------------------------------------------------------------------
// Main

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const docs = readDocs(opts.docs);
  debug(`${docs.length} docs from ${opts.docs}, batch_size ${opts.batchSize}`);

  const PouchDB = require('pouchdb-core')
    .plugin(require('pouchdb-adapter-memory'))
    .plugin(require('pouchdb-adapter-http'))
    .plugin(require('pouchdb-replication'));

  const s = await startReadyServer();
  const remoteUrl = `http://127.0.0.1:${s.port}/bench`;

  // Load the local database (not timed).
  const local = new PouchDB(`ft-bench-local-${process.pid}`, { adapter: 'memory' });
  for (let i = 0; i < docs.length; i += 1000) {
    const res = await local.bulkDocs(docs.slice(i, i + 1000));
    const bad = res.find((r) => r.error);
    if (bad) throw new Error(`local load failed for ${bad.id}: ${bad.error} ${bad.reason || ''}`);
  }
  const info = await local.info();
  if (info.doc_count !== docs.length) throw new Error(`local doc_count ${info.doc_count} != ${docs.length}`);
  debug('local loaded');

  // Timed push.
  wire.counting = true;
  const t0 = performance.now();
  let timer;
  const result = await Promise.race([
    local.replicate.to(remoteUrl, { batch_size: opts.batchSize }),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`replication did not finish within ${REPLICATION_TIMEOUT_MS} ms`)), REPLICATION_TIMEOUT_MS);
    }),
  ]);
  const pushMs = performance.now() - t0;
  clearTimeout(timer);
  const totals = wireTotals();
  wire.counting = false;
  debug('replication result:', JSON.stringify({
    ok: result.ok, status: result.status, docs_read: result.docs_read,
    docs_written: result.docs_written, doc_write_failures: result.doc_write_failures,
  }));
  debug(`wire: ${totals.requests} HTTP requests on ${totals.connections} TCP connections`);
  debug('requests by endpoint:', JSON.stringify(wire.endpoints));
  if (!result.ok || result.doc_write_failures) {
    throw new Error(`replication failed: ${JSON.stringify(result.errors || result)}`);
  }

  // Verify on the server.
  const remote = await getJson(s.port, '/bench', 10000);
  if (remote.status !== 200) throw new Error(`GET /bench: ${remote.status} ${JSON.stringify(remote.body)}`);
  if (remote.body.doc_count !== docs.length) {
    throw new Error(`remote doc_count ${remote.body.doc_count} != ${docs.length} docs`);
  }

  await stopServer();

  writeResult(JSON.stringify({
    docs: docs.length,
    batch_size: opts.batchSize,
    push_ms: Math.round(pushMs * 10) / 10,
    bytes_up: totals.up,
    bytes_down: totals.down,
    peer: PEER,
  }));
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`push.js: error: ${e && e.message ? e.message : e}\n`);
    if (verbose && e && e.stack) process.stderr.write(e.stack + '\n');
    killServerSync();
    process.exit(1);
  },
);
