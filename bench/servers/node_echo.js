// Node echo server for the evmachine benchmark: the net module, one
// process, one event loop (libuv).
//
//   node bench/servers/node_echo.js 127.0.0.1 9000
//
// SIGTERM or SIGINT stop it.
'use strict';
const net = require('net');

const host = process.argv[2] || '127.0.0.1';
const port = Number(process.argv[3] || 9000);

const server = net.createServer({ noDelay: true }, (sock) => {
  sock.on('data', (d) => sock.write(d));
  sock.on('error', () => sock.destroy());
});
server.listen({ host, port, backlog: 4096 }, () => {
  console.error(`node ${process.version} echo server listening on ${host}:${port} pid=${process.pid}`);
});
for (const s of ['SIGTERM', 'SIGINT']) process.on(s, () => process.exit(0));
