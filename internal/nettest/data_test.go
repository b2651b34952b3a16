package nettest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBuffer(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { fmt.Fprint(&b, "ab") })
	}
	wg.Wait()
	assert.Equal(t, "abababab", b.String())
}

func TestPattern(t *testing.T) {
	n := 3<<20 + 5 // longer than the block: it tiles
	a := Pattern(n, 7)
	require.Len(t, a, n)
	assert.Equal(t, a, Pattern(n, 7), "the same seed gives the same bytes")
	assert.NotEqual(t, a[:4096], Pattern(4096, 8), "another seed gives other bytes")
	assert.Equal(t, Pattern(100, 7), a[:100], "a shorter pattern is a prefix")
	blk := block()
	assert.True(t, bytes.Contains(a, blk[:1024]), "the block starts again after the first tile")
	assert.Empty(t, Pattern(0, 1))
}
