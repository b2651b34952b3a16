//go:build linux

package reactor

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// inotifyRecord encodes one record as the kernel does: the header, then
// the name NUL-padded to nameLen bytes.
func inotifyRecord(wd int32, mask, cookie uint32, name string, nameLen int) []byte {
	b := make([]byte, unix.SizeofInotifyEvent+nameLen)
	binary.NativeEndian.PutUint32(b[0:], uint32(wd))
	binary.NativeEndian.PutUint32(b[4:], mask)
	binary.NativeEndian.PutUint32(b[8:], cookie)
	binary.NativeEndian.PutUint32(b[12:], uint32(nameLen))
	copy(b[unix.SizeofInotifyEvent:], name)
	return b
}

func TestParseInotify(t *testing.T) {
	join := func(bs ...[]byte) []byte {
		var out []byte
		for _, b := range bs {
			out = append(out, b...)
		}
		return out
	}
	modify := inotifyRecord(1, unix.IN_MODIFY, 0, "", 0)
	created := inotifyRecord(2, unix.IN_CREATE, 0, "new.log", 16)
	moved := inotifyRecord(1, unix.IN_MOVE_SELF, 7, "", 0)
	for _, tc := range []struct {
		name    string
		in      []byte
		want    []inotifyEvent
		wantErr bool
	}{
		{"empty read", nil, nil, false},
		{"one record", modify, []inotifyEvent{{1, unix.IN_MODIFY, 0}}, false},
		{"with a name, then more", join(created, moved), []inotifyEvent{{2, unix.IN_CREATE, 0}, {1, unix.IN_MOVE_SELF, 7}}, false},
		{"overflow", inotifyRecord(-1, unix.IN_Q_OVERFLOW, 0, "", 0), []inotifyEvent{{-1, unix.IN_Q_OVERFLOW, 0}}, false},
		{"header cut short", join(modify, modify[:10]), []inotifyEvent{{1, unix.IN_MODIFY, 0}}, true},
		{"name cut short", join(modify, created[:20]), []inotifyEvent{{1, unix.IN_MODIFY, 0}}, true},
		{"less than a header", inotifyRecord(3, unix.IN_MODIFY, 0, "", 0)[:12:12], nil, true},
		{"huge name length", func() []byte {
			b := inotifyRecord(3, unix.IN_MODIFY, 0, "", 0)
			binary.NativeEndian.PutUint32(b[12:], 0xffffffff)
			return b
		}(), nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseInotify(tc.in, nil)
			if tc.wantErr {
				assert.ErrorIs(t, err, errInotifyShort)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseInotifyReusesDst(t *testing.T) {
	dst := make([]inotifyEvent, 0, 4)
	got, err := parseInotify(inotifyRecord(1, unix.IN_MODIFY, 0, "", 0), dst)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Same(t, &dst[:1][0], &got[0], "no allocation when dst has room")
}

func TestInotifyChanges(t *testing.T) {
	for _, tc := range []struct {
		mask uint32
		want fileEvent
	}{
		{unix.IN_MODIFY, fileModified},
		{unix.IN_ATTRIB, fileAttrib},
		{unix.IN_MOVE_SELF, fileMoved},
		{unix.IN_DELETE_SELF, fileDeleted},
		{unix.IN_CREATE | unix.IN_ISDIR, fileModified},
		{unix.IN_DELETE, fileModified},
		{unix.IN_MOVED_FROM, fileModified},
		{unix.IN_MOVED_TO, fileModified},
		{unix.IN_IGNORED, fileGone},
		{unix.IN_UNMOUNT, fileGone},
		{unix.IN_MODIFY | unix.IN_ATTRIB, fileModified | fileAttrib},
		{unix.IN_OPEN, 0},
	} {
		assert.Equal(t, tc.want, inotifyChanges(tc.mask), "mask %#x", tc.mask)
	}
}

// FuzzParseInotify: any bytes decode without a panic into records whose
// encodings fill exactly the bytes consumed.
func FuzzParseInotify(f *testing.F) {
	f.Add(inotifyRecord(1, unix.IN_MODIFY, 0, "", 0))
	f.Add(append(inotifyRecord(2, unix.IN_CREATE, 0, "a", 16), inotifyRecord(1, unix.IN_DELETE_SELF, 0, "", 0)...))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, err := parseInotify(b, nil)
		consumed := 0
		for range evs {
			nameLen := int(binary.NativeEndian.Uint32(b[consumed+12:]))
			consumed += unix.SizeofInotifyEvent + nameLen
		}
		if err == nil {
			assert.Equal(t, len(b), consumed)
		} else {
			assert.Less(t, consumed, len(b))
		}
		for _, ev := range evs {
			inotifyChanges(ev.mask)
		}
	})
}
