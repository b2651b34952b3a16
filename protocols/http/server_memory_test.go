package http

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/reactor"
)

// Bodies that do not fit the Server's memory wait, unread, and are all
// served in turn; the memory held never passes the budget.
func TestServerBodyMemoryBudget(t *testing.T) {
	const (
		budget  = 1 << 20
		size    = 400 << 10 // two fit at once, not three
		clients = 8
	)
	var srv *Server
	var mu sync.Mutex
	var maxUsed int64
	maxWaiting := 0
	srv = &Server{MaxBodyMemory: budget, Handler: HandlerFunc(func(w *Response, req *http.Request) {
		used, waiting := srv.BodyMemory()
		mu.Lock()
		maxUsed, maxWaiting = max(maxUsed, used), max(maxWaiting, waiting)
		mu.Unlock()
		body := RequestBody(req)
		assert.Equal(t, size, cap(body), "a Content-Length body is allocated to its exact size")
		w.Reactor().AddTimer(20*time.Millisecond, func() { // hold the memory a while
			w.Write([]byte(strconv.Itoa(len(body))))
			w.End()
		})
	})}
	_, addr := serverStart(t, srv)
	body := strings.Repeat("b", size)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			c, br := serverDial(t, addr)
			serverSend(t, c, serverRequest("POST", "/", fmt.Sprintf("Content-Length: %d\r\n", size))+body)
			resp, got := serverRead(t, br, "POST")
			assert.Equal(t, 200, resp.StatusCode)
			assert.Equal(t, strconv.Itoa(size), got)
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, maxUsed, int64(budget))
	assert.Positive(t, maxWaiting, "some bodies had to wait")
	used, waiting := srv.BodyMemory()
	assert.Zero(t, used, "every answered body gave its memory back")
	assert.Zero(t, waiting)
}

func TestServerBodyMemoryRefusals(t *testing.T) {
	_, addr := serverStart(t, &Server{MaxBodyMemory: 64 << 10, MaxBodyBytes: 1 << 20, Handler: HandlerFunc(func(w *Response, req *http.Request) {
		w.Reactor().AddTimer(time.Hour, func() { w.End() }) // holds its body's memory
	})})
	t.Run("larger than the budget", func(t *testing.T) {
		c, br := serverDial(t, addr)
		serverSend(t, c, serverRequest("POST", "/", "Content-Length: 65537\r\n"))
		resp, _ := serverRead(t, br, "POST")
		assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
		serverAssertClosed(t, br)
	})
	t.Run("chunked body that cannot grow", func(t *testing.T) {
		c, br := serverDial(t, addr) // holds 40 KiB
		serverSend(t, c, serverRequest("POST", "/", "Content-Length: 40960\r\n")+strings.Repeat("a", 40960))
		c2, br2 := serverDial(t, addr)
		chunk := strings.Repeat("c", 20<<10)
		serverSend(t, c2, serverRequest("POST", "/", "Transfer-Encoding: chunked\r\n")+"5000\r\n"+chunk+"\r\n5000\r\n"+chunk+"\r\n0\r\n\r\n")
		resp, _ := serverRead(t, br2, "POST")
		assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		serverAssertClosed(t, br2)
		c.Close()
		_ = br
	})
}

// A client that announces a body and goes away while waiting for memory
// does not keep it: once granted, its connection finds the client gone and
// gives the memory back.
func TestServerBodyMemoryWaiterGoesAway(t *testing.T) {
	var srv *Server
	var held []*Response
	srv = &Server{MaxBodyMemory: 64 << 10, Handler: HandlerFunc(func(w *Response, req *http.Request) {
		held = append(held, w) // answered when the test says
	})}
	r, addr := serverStart(t, srv)
	holder, hbr := serverDial(t, addr)
	serverSend(t, holder, serverRequest("POST", "/", "Content-Length: 60000\r\n")+strings.Repeat("h", 60000))
	waiter, _ := serverDial(t, addr)
	serverSend(t, waiter, serverRequest("POST", "/", "Content-Length: 60000\r\n")+"w")
	waitMem(t, srv, 60000, 1)
	waiter.Close()
	onLoop(t, r, func() {
		require.Len(t, held, 1)
		held[0].End()
	})
	resp, _ := serverRead(t, hbr, "POST")
	assert.Equal(t, 200, resp.StatusCode)
	waitMem(t, srv, 0, 0)
	holder.Close()
	serverWaitConns(t, r, 0)
}

func waitMem(t *testing.T, srv *Server, used int64, waiting int) {
	t.Helper()
	deadline := time.Now().Add(testWatchdog)
	for {
		u, w := srv.BodyMemory()
		if u == used && w == waiting {
			return
		}
		require.True(t, time.Now().Before(deadline), "watchdog: body memory %d with %d waiting, want %d and %d", u, w, used, waiting)
		time.Sleep(5 * time.Millisecond)
	}
}

// bodyFloodChild serves HTTP with the default limits (answering each
// request with its body's length), prints "addr HOST:PORT", and when stdin
// closes prints the peak Go heap in use and the peak RSS.
func bodyFloodChild() int {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	r, err := reactor.New(reactor.WithLogger(quiet))
	if err != nil {
		return 1
	}
	srv := &Server{Logger: quiet, Handler: HandlerFunc(func(w *Response, req *http.Request) {
		w.Write([]byte(strconv.Itoa(len(RequestBody(req)))))
		w.End()
	})}
	l, err := srv.Listen(r, "tcp", "127.0.0.1:0")
	if err != nil {
		return 1
	}
	stop := make(chan struct{})
	peak := heapPeak(stop)
	var reserved atomic.Int64
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			if used, _ := srv.BodyMemory(); used > reserved.Load() {
				reserved.Store(used)
			}
		}
	}()
	fmt.Printf("addr %s\n", l.Addr())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		r.Stop()
	}()
	r.Run()
	close(stop)
	hwm, _ := procKiB("VmHWM")
	fmt.Printf("reserved %d\nheap %d\nhwm %d\n", reserved.Load(), peak(), hwm<<10)
	return 0
}

// 150 clients each send a 10 MiB body at once, the attack that took the
// server to 2.8 GB before bodies had a memory budget: every one is
// answered, and the server's Go heap stays within the budget (64 MiB by
// default) plus the garbage collector's headroom.
func TestServerBodyFloodMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 1.5 GB over loopback")
	}
	const (
		clients = 150
		size    = 10 << 20
	)
	lines, stdin := startHTTPChild(t, "bodyflood")
	addr := childValue(t, lines, "addr ")
	body := make([]byte, size)
	head := serverRequest("POST", "/", fmt.Sprintf("Content-Length: %d\r\n", size))
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			c, err := net.Dial("tcp", addr)
			if !assert.NoError(t, err) {
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(4 * testWatchdog))
			go func() {
				io.WriteString(c, head)
				c.Write(body)
			}()
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if !assert.NoError(t, err) {
				return
			}
			got, _ := io.ReadAll(resp.Body)
			assert.Equal(t, strconv.Itoa(size), string(got))
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	stdin.Close()
	reserved, _ := strconv.ParseInt(childValue(t, lines, "reserved "), 10, 64)
	heap, _ := strconv.ParseUint(childValue(t, lines, "heap "), 10, 64)
	hwm, _ := strconv.ParseUint(childValue(t, lines, "hwm "), 10, 64)
	t.Logf("%d clients x %d MiB in %v: server peak body memory %.1f MiB, peak Go heap in use %.1f MiB, peak RSS %.1f MiB",
		clients, size>>20, elapsed.Round(time.Millisecond), float64(reserved)/(1<<20), float64(heap)/(1<<20), float64(hwm)/(1<<20))
	assert.Positive(t, reserved)
	assert.LessOrEqual(t, reserved, int64(DefaultMaxBodyMemory), "the bodies held never pass the budget")
	// The heap adds what the collector has not reclaimed yet (with GOGC at
	// 100 it lets the heap reach about twice what is live) and the read
	// buffers: far below the 1.5 GB of bodies in flight.
	assert.Less(t, heap, uint64(3*DefaultMaxBodyMemory))
}
