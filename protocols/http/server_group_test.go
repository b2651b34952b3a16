package http

import (
	"context"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/evmachine/evmachine/reactor"
)

// TestServerListenGroup: a Server on a Group of 2 answers 200 requests on
// new connections, and both loops serve some; Shutdown drains all loops.
func TestServerListenGroup(t *testing.T) {
	g, err := reactor.NewGroup(2)
	require.NoError(t, err)
	srv := &Server{Handler: HandlerFunc(func(w *Response, req *http.Request) {
		w.Write([]byte("hello"))
		w.End()
	})}
	require.NoError(t, srv.ListenGroup(g, "tcp", "127.0.0.1:0"))
	addr := g.Listeners()[0].Addr().String()
	ran := make(chan error, 1)
	go func() { ran <- g.Run() }()
	dog := time.AfterFunc(2*time.Minute, func() { panic("watchdog: TestServerListenGroup") })
	defer dog.Stop()
	defer g.Stop()

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			resp, err := client.Get("http://" + addr + "/")
			if !assert.NoError(t, err) {
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			assert.Equal(t, "hello", string(b))
		})
	}
	wg.Wait()
	st := g.Stats()
	for i, s := range st.PerLoop {
		assert.Positive(t, s.BytesWritten, "loop %d served some", i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, srv.Shutdown(ctx))
}
