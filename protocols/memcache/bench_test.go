package memcache

import (
	"testing"
	"time"
)

func BenchmarkParseReplyValue(b *testing.B) {
	in := []byte("VALUE bench:00 0 64 12345\r\n" + string(make([]byte, 64)) + "\r\n")
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, _, err := ParseReply(in, DefaultMaxItemSize); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeSet(b *testing.B) {
	val := make([]byte, 64)
	var buf []byte
	for b.Loop() {
		buf = appendStore(buf[:0], "set", "bench:00", 0, 0, val, 0, false)
	}
}

// BenchmarkClientGetPipelined keeps 1,000 gets of a 64-byte value
// outstanding against a real memcached (skipped without one).
func BenchmarkClientGetPipelined(b *testing.B) { benchClient(b, 1000) }

// BenchmarkClientGetOneAtATime waits for each reply before the next get.
func BenchmarkClientGetOneAtATime(b *testing.B) { benchClient(b, 1) }

// benchClient runs b.N gets with conc outstanding on one Client.
func benchClient(b *testing.B, conc int) {
	m := startMemcached(b, 0)
	r, c := dial(b, m.addr)
	if err := doErr(b, r, func(cb func(error)) { c.Set(&Item{Key: "bench", Value: make([]byte, 64)}, cb) }); err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	b.ResetTimer()
	r.NextTick(func() {
		issued, completed := 0, 0
		var next func()
		next = func() {
			issued++
			c.Get("bench", func(_ *Item, err error) {
				if err != nil {
					b.Error(err)
				}
				if completed++; completed == b.N {
					close(done)
				} else if issued < b.N {
					next()
				}
			})
		}
		for issued < min(conc, b.N) {
			next()
		}
	})
	select {
	case <-done:
	case <-time.After(10 * watchdog):
		b.Fatal("watchdog")
	}
}
