package stats

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestThousandsAndFixed(t *testing.T) {
	assert.Equal(t, "1,234,567", Thousands(1234566.6))
	assert.Equal(t, "999", Thousands(999))
	assert.Equal(t, "-1,000", Thousands(-1000))
	assert.Equal(t, "0", Thousands(0))
	assert.Equal(t, "–", Thousands(math.NaN()))
	assert.Equal(t, "12.35", Fixed(12.345, 2))
	assert.Equal(t, "–", Fixed(math.Inf(1), 1))
}
