// Node's `ws` (Debian node-ws), the old backend's stack, as the limit for idle sockets:
// a bare echo server with no authentication or presence.  usage: node ws-server.js PORT
let ws;
try { ws = require('ws'); } catch (e) { ws = require('/usr/share/nodejs/ws'); }
const port = Number(process.argv[2] || 0);
const server = new ws.WebSocketServer({ host: '127.0.0.1', port, backlog: 256, perMessageDeflate: false });
server.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
    socket.on('error', () => {});
});
server.on('listening', () => console.log(`ws listening on 127.0.0.1:${port}`));
