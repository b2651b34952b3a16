package http

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A handler that answers a second later holds nothing up: requests on
// other connections keep flowing meanwhile.
func TestServerSlowAnswerDoesNotBlockOthers(t *testing.T) {
	_, addr := serverStart(t, &Server{Handler: HandlerFunc(func(w *Response, req *http.Request) {
		if req.URL.Path == "/slow" {
			w.Reactor().AddTimer(time.Second, func() {
				w.Write([]byte("slow"))
				w.End()
			})
			return
		}
		w.Write([]byte("fast"))
		w.End()
	})})
	client := serverClient(t)
	start := time.Now()
	slowDone := make(chan time.Time, 1)
	go func() {
		resp, err := client.Get("http://" + addr + "/slow")
		if assert.NoError(t, err) {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, "slow", string(body))
		}
		slowDone <- time.Now()
	}()
	var fast atomic.Int64
	var lastFast atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				_, body := serverGetBody(t, client, "http://"+addr+"/fast")
				assert.Equal(t, "fast", body)
				fast.Add(1)
				lastFast.Store(time.Now().UnixNano())
			}
		}()
	}
	wg.Wait()
	slowAt := waitFor(t, slowDone, "the slow answer")
	assert.Equal(t, int64(200), fast.Load())
	assert.GreaterOrEqual(t, slowAt.Sub(start), time.Second)
	assert.True(t, time.Unix(0, lastFast.Load()).Before(slowAt),
		"all 200 fast requests were answered while the slow one waited")
}

// A thousand keep-alive clients, each with its own connection, make
// several requests with bodies; every answer is checked.
func TestServerThousandKeepAliveClients(t *testing.T) {
	const clients, rounds = 1000, 3
	r, addr := serverStart(t, &Server{Handler: HandlerFunc(func(w *Response, req *http.Request) {
		body := RequestBody(req)
		// Answer on the next tick, as an evented handler would after I/O.
		w.Reactor().NextTick(func() {
			w.Header().Set("X-Client", req.Header.Get("X-Client"))
			w.Write([]byte("echo:"))
			w.Write(body)
			w.End()
		})
	})})
	var wg sync.WaitGroup
	var failures atomic.Int64
	conns := make([]net.Conn, clients)
	for i := range clients { // connect them all first: 1,000 open at once
		c, err := net.DialTimeout("tcp", addr, testWatchdog)
		require.NoError(t, err, "client %d", i)
		require.NoError(t, c.SetDeadline(time.Now().Add(2*testWatchdog)))
		conns[i] = c
		t.Cleanup(func() { c.Close() })
	}
	serverWaitConns(t, r, clients)
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			br := bufio.NewReader(c)
			for round := range rounds {
				payload := fmt.Sprintf("client %d round %d %s", i, round, strconv.Itoa(i*round))
				fmt.Fprintf(c, "POST /echo HTTP/1.1\r\nHost: t\r\nX-Client: %d\r\nContent-Length: %d\r\n\r\n%s", i, len(payload), payload)
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					failures.Add(1)
					t.Errorf("client %d round %d: %v", i, round, err)
					return
				}
				body, err := io.ReadAll(resp.Body)
				if err != nil || string(body) != "echo:"+payload || resp.Header.Get("X-Client") != strconv.Itoa(i) {
					failures.Add(1)
					t.Errorf("client %d round %d: body %q err %v", i, round, body, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	assert.Zero(t, failures.Load())
	onLoop(t, r, func() { assert.Equal(t, clients, r.ConnectionCount(), "every connection was kept alive") })
}

// A client that pipelines many requests and reads nothing makes the server
// stop reading once its backlog is large, not buffer without bound; once
// the client reads, everything is answered.
func TestServerBackpressure(t *testing.T) {
	const n = 120
	big := make([]byte, 64<<10)
	for i := range big {
		big[i] = byte('a' + i%26)
	}
	var served atomic.Int64
	var sc *serverConn // loop-owned
	r, addr := serverStart(t, &Server{MaxPipelined: 1000, Handler: HandlerFunc(func(w *Response, req *http.Request) {
		sc = w.sc
		served.Add(1)
		w.Write(big)
		w.End()
	})})
	c, br := serverDial(t, addr)
	go func() {
		for range n {
			if _, err := io.WriteString(c, serverRequest("GET", "/big", "")); err != nil {
				return
			}
		}
	}()
	time.Sleep(300 * time.Millisecond) // let the server take what it will
	var backlog int
	onLoop(t, r, func() {
		require.NotNil(t, sc)
		backlog = sc.c.OutboundSize()
	})
	assert.Less(t, served.Load(), int64(n), "the server stopped taking requests")
	assert.Less(t, backlog, 8<<20, "the backlog stays bounded")
	for i := range n {
		_, body := serverRead(t, br, "GET")
		require.Equal(t, len(big), len(body), "answer %d", i)
	}
	assert.Equal(t, int64(n), served.Load())
}

// A handler streams a large body at the pace the client reads, watching
// OutboundSize as EventMachine's FileStreamer does.
func TestServerStreamingWithBackpressure(t *testing.T) {
	const piece, pieces = 64 << 10, 64 // 4 MiB
	var maxBacklog atomic.Int64
	_, addr := serverStart(t, &Server{Handler: HandlerFunc(func(w *Response, req *http.Request) {
		r := w.Reactor()
		sent := 0
		var pump func()
		pump = func() {
			for sent < pieces && w.OutboundSize() < 256<<10 {
				chunk := bytes.Repeat([]byte{byte('a' + sent%26)}, piece)
				w.Write(chunk)
				sent++
			}
			if n := int64(w.OutboundSize()); n > maxBacklog.Load() {
				maxBacklog.Store(n)
			}
			if sent == pieces {
				w.End()
				return
			}
			r.AddTimer(time.Millisecond, pump)
		}
		w.Flush()
		pump()
	})})
	c, br := serverDial(t, addr)
	serverSend(t, c, serverRequest("GET", "/stream", ""))
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	slow := &slowReader{r: resp.Body}
	body, err := io.ReadAll(slow)
	require.NoError(t, err)
	require.Len(t, body, piece*pieces)
	for i := range pieces {
		require.Equal(t, byte('a'+i%26), body[i*piece], "piece %d", i)
	}
	assert.Less(t, maxBacklog.Load(), int64(256<<10+2*piece), "the handler never ran far ahead of the client")
}

// slowReader reads in small pieces with short pauses.
type slowReader struct {
	r io.Reader
	n int
}

func (s *slowReader) Read(p []byte) (int, error) {
	s.n++
	if s.n%64 == 0 {
		time.Sleep(time.Millisecond)
	}
	return s.r.Read(p[:min(len(p), 16<<10)])
}
