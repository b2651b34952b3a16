package http

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fastHeads are heads the fast path must take (true) or leave to
// ReadRequest (false).
var fastHeads = []struct {
	head string
	fast bool
}{
	{"GET / HTTP/1.1\r\nHost: localhost:8080\r\n\r\n", true},
	{"GET /plaintext HTTP/1.1\r\nHost: a\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n", true},
	{"GET /a/b;c=d@e:f HTTP/1.0\r\n\r\n", true},
	{"GET /a?x=1&y=%zz HTTP/1.1\r\nHost: a\r\n\r\n", true},
	{"GET /a? HTTP/1.1\r\nHost: a\r\n\r\n", true},
	{"GET /a?? HTTP/1.1\r\nHost: a\r\n\r\n", true},
	{"POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\nContent-Type: text/plain\r\n\r\n", true},
	{"GET / HTTP/1.1\r\nhost: a\r\nx-lower-case: v\r\nACCEPT: b\r\n\r\n", true},
	{"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\nX: 2\r\nX:3\r\n\r\n", true},
	{"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Close\r\n\r\n", true},
	{"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
	{"GET / HTTP/1.0\r\nConnection: x\r\nConnection: keep-alive\r\n\r\n", true},
	{"GET / HTTP/1.1\r\nHost: a\r\nX-Spaces: \t  v  w \t \r\nEmpty:\r\n\r\n", true},
	{"GET / HTTP/1.1\r\nHost: a\r\nX-Obs: caf\xc3\xa9\r\n\r\n", true},
	{"DELETE /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", true},

	{"GET /%41 HTTP/1.1\r\nHost: a\r\n\r\n", false},         // escaped path: RawPath rules
	{"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", false},         // not three parts
	{"GET http://x/ HTTP/1.1\r\nHost: a\r\n\r\n", false},    // absolute form
	{"GET * HTTP/1.1\r\nHost: a\r\n\r\n", false},            // asterisk form
	{"CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", false},    // authority form
	{"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", false},             // h2 preface
	{"GET / HTTP/1.2\r\nHost: a\r\n\r\n", false},            // version
	{"GET / HTTP/1.1\nHost: a\n\n", false},                  // bare LF
	{"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", false}, // obs-fold
	{"GET / HTTP/1.1\r\nHost : a\r\n\r\n", false},           // space before colon
	{"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", false}, // Host twice
	{"GET / HTTP/1.1\r\nHost: a\r\nPragma: no-cache\r\n\r\n", false},
	{"GET / HTTP/1.1\r\nHost: a\r\nTrailer: X\r\n\r\n", false},
	{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", false},
	{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", false},
	{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n", false},
	{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", false},
	{"GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n", false}, // control byte
	{"G\x7fT / HTTP/1.1\r\nHost: a\r\n\r\n", false},           // method not a token
	{"GET /#f HTTP/1.1\r\nHost: a\r\n\r\n", false},
}

func TestServerFastHead(t *testing.T) {
	for _, tc := range fastHeads {
		req, f, ok := serverFastHead([]byte(tc.head), context.Background())
		require.Equal(t, tc.fast, ok, "%q", tc.head)
		if ok {
			requireSameAsReadRequest(t, req, f, tc.head)
		}
	}
}

// requireSameAsReadRequest checks that req is what http.ReadRequest makes
// of head, field by field (the body aside: the server parser sets it), and
// that f is the framing serverScanHead reads in it.
func requireSameAsReadRequest(t *testing.T, req *http.Request, f serverFraming, head string) {
	t.Helper()
	scanned, ok := serverScanHead([]byte(head))
	require.True(t, ok, "%q", head)
	require.Equal(t, scanned, f, "framing of %q", head)
	want, err := http.ReadRequest(bufio.NewReader(bytes.NewReader([]byte(head))))
	require.NoError(t, err, "fast path took a head ReadRequest refuses: %q", head)
	if want.ContentLength == 0 {
		require.Equal(t, http.NoBody, req.Body, "%q", head)
	}
	want = want.WithContext(req.Context())
	got := *req
	got.Body, want.Body = nil, nil
	if !reflect.DeepEqual(&got, want) {
		t.Fatalf("fast path and ReadRequest disagree on %q:\nfast %#v\nnet  %#v\nURL  %#v / %#v",
			head, &got, want, got.URL, want.URL)
	}
}

func TestServerFastHeadKeepsContext(t *testing.T) {
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, "conn")
	req, _, ok := serverFastHead([]byte(fastHeads[0].head), ctx)
	require.True(t, ok)
	assert.Equal(t, "conn", req.Context().Value(key{}))
}

func TestServerFastHeadValuesDoNotAlias(t *testing.T) {
	req, _, ok := serverFastHead([]byte("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n"), context.Background())
	require.True(t, ok)
	req.Header["A"] = append(req.Header["A"], "3")
	assert.Equal(t, []string{"2"}, req.Header["B"])
	assert.Equal(t, []string{"1", "3"}, req.Header["A"])
}

func TestServerFastHeadAllocs(t *testing.T) {
	head := []byte("GET /plaintext HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n")
	n := testing.AllocsPerRun(100, func() {
		if _, _, ok := serverFastHead(head, context.Background()); !ok {
			t.Fatal("not fast")
		}
	})
	// The request, its URL and values, the head's string, the map.
	assert.LessOrEqual(t, n, 5.0)
}

// FuzzServerFastHead: whatever head the fast path accepts, http.ReadRequest
// accepts too and builds the same request.
func FuzzServerFastHead(f *testing.F) {
	for _, tc := range fastHeads {
		f.Add([]byte(tc.head))
	}
	f.Fuzz(func(t *testing.T, head []byte) {
		end, _ := headEnd(head, 0)
		if end < 0 {
			return
		}
		head = head[:end]
		if req, f, ok := serverFastHead(head, context.Background()); ok {
			requireSameAsReadRequest(t, req, f, string(head))
		}
	})
}

// BenchmarkServerHead compares the fast path with net/http's ReadRequest
// on wrk's request head.
func BenchmarkServerHead(b *testing.B) {
	head := []byte("GET /plaintext HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n")
	ctx := context.Background()
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			serverFastHead(head, ctx)
		}
	})
	b.Run("net-http", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			req, _, _ := serverReadHead(head)
			_ = req.WithContext(context.Background())
		}
	})
}
