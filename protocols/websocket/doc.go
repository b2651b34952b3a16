// Package websocket is evmachine's evented WebSocket (RFC 6455) server and
// client: em-websocket's job, on the reactor loop. A server upgrades
// requests of protocols/http's Server (Upgrade, or Server.Listen for a
// standalone listener); a client connects with Dial (ws:// and wss://).
// Either way the program hands callbacks named after em-websocket's
// (OnOpen, OnMessage, OnBinary, OnClose, OnError, OnPing, OnPong) and uses
// the Conn's Send, SendBinary, Ping and Close(code, reason).
//
// The framing is a pure, fuzzed parser (Reader, AppendFrame) with no
// reactor import; Conn is the thin adapter that plugs it into a
// reactor.Handler. Pongs are automatic, the close handshake has a
// timeout, text is validated as UTF-8 as it arrives, and frame and message
// sizes are bounded (1009). Backpressure follows EventMachine:
// OutboundSize and OnDrained. Broadcast encodes a message once for many
// connections. permessage-deflate (RFC 7692) uses compress/flate.
//
// Every callback runs on the reactor goroutine, and every method of Conn
// must be called there too (other goroutines use Reactor.NextTick), except
// where a doc comment says otherwise. The frame functions (Reader,
// AppendFrame, ParseHeader, MaskBytes) are pure and may be used anywhere.
package websocket
