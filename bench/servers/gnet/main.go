// Command gnet is the benchmark's gnet v2 echo server: gnet's own echo
// example (OnTraffic hands back what arrived), with one event loop by
// default, or -multicore with -loops event loops.
//
//	go run ./bench/servers/gnet -addr 127.0.0.1:9000
//	go run ./bench/servers/gnet -addr 127.0.0.1:9000 -multicore -loops 2
//
// It runs until killed; the benchmark runner stops it by PID.
package main

import (
	"flag"
	"log/slog"
	"os"

	"github.com/panjf2000/gnet/v2"
	"github.com/panjf2000/gnet/v2/pkg/logging"
)

type echo struct{ gnet.BuiltinEventEngine }

// OnTraffic runs on the connection's event loop.
func (*echo) OnTraffic(c gnet.Conn) gnet.Action {
	buf, _ := c.Next(-1)
	c.Write(buf)
	return gnet.None
}

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "TCP address to listen on")
	multicore := flag.Bool("multicore", false, "one event loop per -loops (default: per CPU)")
	loops := flag.Int("loops", 0, "event loops with -multicore (0: gnet's default, one per CPU)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	opts := []gnet.Option{gnet.WithMulticore(*multicore), gnet.WithLogLevel(logging.ErrorLevel)}
	if *multicore && *loops > 0 {
		opts = append(opts, gnet.WithNumEventLoop(*loops))
	}
	log.Info("gnet echo server starting", "addr", *addr, "multicore", *multicore, "loops", *loops, "pid", os.Getpid())
	if err := gnet.Run(&echo{}, "tcp://"+*addr, opts...); err != nil {
		log.Error("gnet echo", "err", err)
		os.Exit(1)
	}
}
