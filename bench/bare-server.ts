/**
 * The platform's limit: a bare node:http server that answers the Get Record By Id URL shape with
 * the bytes of one real answer (same body, same content-type and other headers), doing nothing
 * else. The gap between it and ghl-objects is what routing, auth, rate limiting, the database
 * read and Fastify cost. run.ts compiles it to plain JS, so no TypeScript loader runs here.
 *
 *   node bare-server.js BODY_FILE HEADERS_FILE   → prints "bare listening on http://127.0.0.1:PORT"
 *
 * HEADERS_FILE: a JSON object of the real answer's headers, less those node:http sets itself.
 */
import { fstatSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const [bodyFile, headersFile] = process.argv.slice(2);
if (!bodyFile || !headersFile) throw new Error('usage: bare-server BODY_FILE HEADERS_FILE');
const body = readFileSync(bodyFile);
const PATH = /^\/objects\/[^/?]+\/records\/[^/?]+\/?(?:\?|$)/;
const headers = { ...(JSON.parse(readFileSync(headersFile, 'utf8')) as Record<string, string>), 'content-length': String(body.length) };

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url !== undefined && PATH.test(req.url)) {
    res.writeHead(200, headers).end(body);
  } else {
    res.writeHead(404).end();
  }
});
// As the real server (src/config.ts): idle keep-alive connections stay open for 72 s.
server.keepAliveTimeout = 72_000;

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`bare listening on http://127.0.0.1:${port}\n`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The orchestrator holds our stdin (a pipe: a socket pair) open; if it dies without stopping us,
// stop by ourselves. Run by hand with stdin a terminal or /dev/null, there is nothing to watch.
const stdin = fstatSync(0);
if (stdin.isSocket() || stdin.isFIFO()) process.stdin.on('end', () => process.exit(1)).resume();
