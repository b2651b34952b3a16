package reactor

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// FuzzTLSTransportRecords feeds arbitrary bytes in arbitrary pieces and
// reads them with arbitrary buffer sizes: what Read hands over is the
// input, in order, nothing lost or repeated; no Read spans two records;
// and once drained, only a partial header at a record boundary is held
// back. go test -fuzz FuzzTLSTransportRecords ./reactor
func FuzzTLSTransportRecords(f *testing.F) {
	f.Add(append(record(23, 10), record(21, 2)...), []byte{3, 7, 1, 200})
	f.Add([]byte{23, 3, 3, 0}, []byte{1, 1, 1})
	f.Add(record(22, 300), []byte{0, 5, 255, 17})
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		// The record boundaries the headers in data declare.
		bounds := map[int]bool{0: true}
		end := 0 // where the last boundary within data is
		for k := 0; k+recordHeaderLen <= len(data); {
			k += recordHeaderLen + (int(data[k+3])<<8 | int(data[k+4]))
			bounds[k] = true
			if k <= len(data) {
				end = k
			}
		}
		tr := &tlsTransport{owned: true}
		var out []byte
		read := func(size int) {
			p := make([]byte, size)
			n, err := tr.Read(p)
			if n == 0 {
				assert.ErrorIs(t, err, errWouldBlock)
				return
			}
			for k := len(out) + 1; k < len(out)+n; k++ {
				if bounds[k] {
					t.Fatalf("a Read of %d bytes from %d spans the record boundary at %d", n, len(out), k)
				}
			}
			out = append(out, p[:n]...)
		}
		fed := 0
		for i, c := range cuts {
			if i%2 == 0 { // feed the next c bytes
				n := min(int(c), len(data)-fed)
				tr.feed(data[fed : fed+n])
				fed += n
			} else { // read with a buffer of c+1 bytes
				read(int(c) + 1)
			}
		}
		tr.feed(data[fed:])
		for range len(data) + 2 {
			read(1 << 10)
		}
		require.True(t, bytes.Equal(data[:len(out)], out), "the input, in order")
		held := len(data) - len(out)
		if end == len(data) || len(data)-end < recordHeaderLen {
			assert.Equal(t, len(data)-end, held, "only a partial header at a boundary is held back")
			assert.Equal(t, held == 0, tr.caughtUp())
		} else {
			assert.Zero(t, held, "a record under way is handed over as far as it came")
			assert.False(t, tr.caughtUp(), "the record is not complete")
		}
	})
}
