// Node ws client for the interop test: connects to argv[2], runs the
// script of checks, prints "OK" or exits non-zero with the reason.
const WebSocket = require('ws');
const crypto = require('crypto');
const ws = new WebSocket(process.argv[2], { perMessageDeflate: process.argv[3] === 'deflate' });
const big = crypto.createHash('sha256');
const mib = Buffer.alloc(1 << 20);
for (let i = 0; i < mib.length; i++) mib[i] = (i * 31 + 7) & 0xff;
const steps = [];
let expect = [];
function fail(msg) { console.error('FAIL ' + msg); process.exit(2); }
ws.on('open', () => {
  ws.send('héllo wörld');
  ws.send(Buffer.from([0, 1, 2, 255]));
  ws.send(mib);
  // a fragmented message: ws sends fragments with fin=false
  ws.send('frag-', { fin: false });
  ws.send('ment', { fin: true });
  ws.ping(Buffer.from('ping!'));
  expect = [['text', 'héllo wörld'], ['bin', Buffer.from([0, 1, 2, 255])], ['bin', mib], ['text', 'frag-ment']];
});
let gotPong = false;
ws.on('pong', (d) => { if (d.toString() !== 'ping!') fail('pong ' + d); gotPong = true; });
ws.on('message', (data, isBinary) => {
  const [kind, want] = expect.shift() || fail('unexpected message');
  if ((kind === 'bin') !== isBinary) fail('kind of message ' + kind);
  if (!Buffer.from(data).equals(Buffer.from(want))) fail('payload of ' + kind + ' differs');
  if (expect.length === 0) ws.close(4000, 'node done');
});
ws.on('close', (code, reason) => {
  if (code !== 4000 || reason.toString() !== 'node done') fail('close ' + code + ' ' + reason);
  if (!gotPong) fail('no pong');
  console.log('OK');
  process.exit(0);
});
ws.on('error', (e) => fail('error ' + e));
setTimeout(() => fail('timeout'), 15000);
