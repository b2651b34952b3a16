package http

import (
	"io"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"
)

// BenchmarkClientSequentialGet measures sequential keep-alive GETs against
// a net/http test server, evmachine's Client against net/http's in the same
// run. Each sub-benchmark reports req/s and the process's CPU time per
// request (client and server together); compare medians over -count runs:
//
//	go test -run '^$' -bench ClientSequentialGet -count 10 ./protocols/http/
func BenchmarkClientSequentialGet(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "hello, world")
	}))
	defer srv.Close()

	b.Run("evmachine", func(b *testing.B) {
		r := startReactor(b)
		c := NewClient(r)
		if res := clientGet(b, r, c, srv.URL); res.err != nil { // open the connection
			b.Fatal(res.err)
		}
		done := make(chan error, 1)
		n := b.N
		var next func(i int)
		next = func(i int) {
			if i == n {
				done <- nil
				return
			}
			c.Get(srv.URL, func(resp *ClientResponse, err error) {
				if err != nil || len(resp.Body) != 12 {
					done <- err
					return
				}
				next(i + 1)
			})
		}
		b.ResetTimer()
		m := clientStartMeasure()
		r.NextTick(func() { next(0) })
		if err := waitFor(b, done, "end of the requests"); err != nil {
			b.Fatal(err)
		}
		m.report(b, n)
	})

	b.Run("net-http", func(b *testing.B) {
		tr := &http.Transport{MaxIdleConnsPerHost: 1}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr}
		get := func() {
			resp, err := client.Get(srv.URL)
			if err != nil {
				b.Fatal(err)
			}
			if body, err := io.ReadAll(resp.Body); err != nil || len(body) != 12 {
				b.Fatal("bad body", err)
			}
			resp.Body.Close()
		}
		get()
		b.ResetTimer()
		m := clientStartMeasure()
		for range b.N {
			get()
		}
		m.report(b, b.N)
	})
}

// clientMeasure takes wall and process CPU time (client, server and
// runtime together: the server's share is the same for both clients) so
// that a benchmark reports CPU per request next to requests per second.
type clientMeasure struct {
	wall time.Time
	cpu  time.Duration
}

func clientCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func clientStartMeasure() clientMeasure { return clientMeasure{time.Now(), clientCPU()} }

func (m clientMeasure) report(b *testing.B, n int) {
	b.ReportMetric(float64(n)/time.Since(m.wall).Seconds(), "req/s")
	b.ReportMetric(float64(clientCPU()-m.cpu)/float64(time.Microsecond)/float64(n), "cpu-µs/req")
}

// BenchmarkClientParse measures the pure parser on a typical small response.
func BenchmarkClientParse(b *testing.B) {
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"Date: Mon, 02 Jan 2006 15:04:05 GMT\r\nContent-Length: 12\r\n\r\nhello, world")
	req, _ := http.NewRequest("GET", "http://example.com/", nil)
	p := &clientParser{maxHeader: ClientDefaultMaxHeaderBytes}
	b.SetBytes(int64(len(resp)))
	b.ReportAllocs()
	for b.Loop() {
		p.reset(req)
		if _, err := p.feed(resp); err != nil || !p.done() {
			b.Fatal(err)
		}
	}
}
