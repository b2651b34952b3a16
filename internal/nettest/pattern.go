package nettest

import (
	"encoding/binary"
	"math/rand/v2"
	"sync"
)

// block is the random block Pattern tiles; its odd length keeps the tiles
// from lining up with buffer and pipe sizes.
var block = sync.OnceValue(func() []byte {
	b := make([]byte, 1<<20+7)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i+8 <= len(b); i += 8 {
		binary.LittleEndian.PutUint64(b[i:], rng.Uint64())
	}
	return b
})

// Pattern returns n pseudo-random bytes, the same for the same n and seed
// in every run; seed picks where in a fixed random block they start, so
// different seeds give different bytes.
func Pattern(n int, seed uint64) []byte {
	blk := block()
	b := make([]byte, n)
	off := int(seed * 7919 % uint64(len(blk)))
	for i := 0; i < n; {
		i += copy(b[i:], blk[off:])
		off = 0
	}
	return b
}
