// Command evmtls is the benchmark's TLS echo server on evmachine: one
// reactor, a listener with reactor.WithTLS, every plaintext byte a client
// sends written back (examples/echo with TLS). Handshakes run on the
// reactor's bounded handshake goroutines, records on the loop.
//
//	go run ./bench/servers/evmtls -addr 127.0.0.1:9443 -cert cert.pem -key key.pem
//
// It runs until killed; the benchmark runner stops it by PID.
package main

import (
	"crypto/tls"
	"flag"
	"log/slog"
	"os"

	"github.com/evmachine/evmachine/reactor"
)

// echo writes back what it receives: the plaintext, encrypted again by the
// Conn's TLS stage. Write copies what it keeps, so the loop's buffer may
// be passed straight through.
type echo struct{ reactor.BaseHandler }

func (echo) ReceiveData(c *reactor.Conn, data []byte) { c.Write(data) }

func main() {
	addr := flag.String("addr", "127.0.0.1:9443", "TCP address to listen on")
	certFile := flag.String("cert", "", "the server's certificate chain (PEM)")
	keyFile := flag.String("key", "", "the certificate's private key (PEM)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
	if err != nil {
		log.Error("loading the certificate", "err", err)
		os.Exit(2)
	}
	r, err := reactor.New(reactor.WithLogger(log))
	if err != nil {
		log.Error("reactor", "err", err)
		os.Exit(1)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	shared := &echo{}
	l, err := r.Listen("tcp", *addr, func(*reactor.Conn) reactor.Handler { return shared }, reactor.WithTLS(cfg))
	if err != nil {
		log.Error("listen", "err", err)
		os.Exit(1)
	}
	log.Info("evmachine TLS echo server listening", "addr", l.Addr().String(), "pid", os.Getpid())
	if err := r.Run(); err != nil {
		log.Error("run", "err", err)
		os.Exit(1)
	}
}
