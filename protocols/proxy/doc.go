// Package proxy builds TCP proxies on the reactor, the way em-proxy and
// ProxyMachine were built on EventMachine:
//
//   - Relay joins each client to one backend, both directions, with
//     half-close passed on (a client that shuts down its write side still
//     gets the backend's whole answer).
//   - Duplex sends the client's bytes to a production backend and a copy to
//     a staging backend; only production answers the client. A slow, dead
//     or refusing staging backend never slows or breaks production: its copy
//     is cut off beyond a buffer limit and the drop is counted.
//   - Router looks at a connection's first bytes (an HTTP Host header, a
//     line prefix, a Git or SOCKS request, ...) until its routing function
//     decides, as ProxyMachine: a RouteFunc names the backend, a
//     CommandFunc returns ProxyMachine's commands as a Route (connect,
//     rewrite the bytes, reply, close with a message, wait; per-route
//     connect and inactivity timeouts with error callbacks; retries). It
//     forwards the bytes held and relays the rest.
//
// Each is a newHandler for reactor.Listen:
//
//	relay := &proxy.Relay{Backend: "127.0.0.1:8081"}
//	if _, err := r.Listen("tcp", "127.0.0.1:8083", relay.Handler); err != nil {
//		return err // in Run's setup: stops the reactor, and Run returns it
//	}
//
// Bytes move with reactor.Conn.ProxyTo (splice(2) through pooled pipes on
// Linux) and with backpressure in every direction: a side that cannot take
// more pauses the side that sends, so nothing buffers without bound.
//
// Relay, Duplex and Router are configured before use and then only read;
// their Handler methods must be called on the reactor goroutine (Listen
// does), and one value may serve several reactors. Stats is safe for
// concurrent use.
package proxy
