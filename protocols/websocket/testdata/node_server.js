// Node ws echo server for the interop test: prints its port, echoes every
// message as it came (text as text, binary as binary), answers "close-me"
// with a close 4002 "peer server bye".
const WebSocket = require('ws');
const wss = new WebSocket.Server({ host: '127.0.0.1', port: 0, perMessageDeflate: process.argv[2] === 'deflate' }, () => {
  console.log(wss.address().port);
});
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    if (!isBinary && data.toString() === 'close-me') { ws.close(4002, 'peer server bye'); return; }
    if (!isBinary && data.toString() === 'frag-me') { ws.send('fr', { fin: false }); ws.send('ag', { fin: false }); ws.send('ged', { fin: true }); return; }
    ws.send(data, { binary: isBinary });
  });
});
