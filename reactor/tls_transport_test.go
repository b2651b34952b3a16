package reactor

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// record returns a TLS record header for a body of n bytes, then the body.
func record(typ byte, n int) []byte {
	r := []byte{typ, 3, 3, byte(n >> 8), byte(n)}
	for i := range n {
		r = append(r, byte(i))
	}
	return r
}

// The loop's Read hands crypto/tls at most the rest of the record under
// way, and nothing at a boundary until a whole header is there, so that
// caughtUp is true exactly when crypto/tls holds no byte it has not
// turned into a record yet.
func TestTLSTransportReadsOneRecordAtATime(t *testing.T) {
	two := append(record(23, 10), record(23, 3)...)
	tests := []struct {
		name  string
		feeds [][]byte // fed before each read
		reads []int    // len(p) of each Read
		want  []int    // bytes each Read returned (0: errWouldBlock)
	}{
		{"one record, big buffer", [][]byte{record(23, 10)}, []int{512, 512}, []int{15, 0}},
		{"two records in one feed", [][]byte{two}, []int{512, 512, 512}, []int{15, 8, 0}},
		{"a small buffer splits a record", [][]byte{record(23, 10)}, []int{4, 4, 512, 512}, []int{4, 4, 7, 0}},
		{"a partial header waits", [][]byte{{23, 3}, {3, 0}, {2, 9, 9}}, []int{512, 512, 512, 512}, []int{0, 0, 7, 0}},
		{"a body split over feeds", [][]byte{record(23, 10)[:8], record(23, 10)[8:]}, []int{512, 512, 512}, []int{8, 7, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &tlsTransport{owned: true}
			var got []int
			for i, size := range tt.reads {
				if i < len(tt.feeds) {
					tr.feed(tt.feeds[i])
				}
				n, err := tr.Read(make([]byte, size))
				if n == 0 {
					assert.ErrorIs(t, err, errWouldBlock)
				}
				got = append(got, n)
			}
			assert.Equal(t, tt.want, got)
			assert.True(t, tr.caughtUp(), "every record handed over")
		})
	}
}

// A peer that closes within a record header: the handshake's Read gets the
// bytes, then io.EOF, and crypto/tls fails with its own error.
func TestTLSTransportEOFWithinHeader(t *testing.T) {
	tr := &tlsTransport{}
	tr.cond.L = &tr.mu
	tr.feed([]byte{22, 3})
	tr.peerClosed()
	p := make([]byte, 512)
	n, err := tr.Read(p)
	assert.NoError(t, err)
	assert.Equal(t, 2, n)
	_, err = tr.Read(p)
	assert.ErrorContains(t, err, "EOF")
}
