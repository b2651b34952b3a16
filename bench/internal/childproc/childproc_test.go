package childproc

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTailBufferKeepsTheEnd(t *testing.T) {
	b := &TailBuffer{Max: 8}
	b.Write([]byte("0123456789"))
	b.Write([]byte("ab"))
	assert.Equal(t, "456789ab", b.String())
}

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot(".")
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(root, "examples", "echo"))
	assert.NoError(t, err)
	_, err = ModuleRoot(t.TempDir())
	assert.Error(t, err)
}
