//go:build linux

package reactor

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// inotifyMask is what every watch asks the kernel for. The directory
// events (an entry created, deleted or renamed) report a watched
// directory as modified, as EventMachine does; they never occur on a file.
const inotifyMask = unix.IN_MODIFY | unix.IN_ATTRIB | unix.IN_MOVE_SELF | unix.IN_DELETE_SELF |
	unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO

// inotifyEvent is one record read from an inotify fd, without the entry
// name (which only a directory watch has, and nothing here uses).
type inotifyEvent struct {
	wd     int32
	mask   uint32
	cookie uint32
}

var errInotifyShort = errors.New("reactor: inotify: truncated event record")

// parseInotify decodes the records of one read from an inotify fd into
// dst (reusing its array) and returns it. The kernel returns whole
// records only; a record cut short, which a correct kernel never sends,
// ends the decoding with an error after the records before it.
func parseInotify(b []byte, dst []inotifyEvent) ([]inotifyEvent, error) {
	for len(b) > 0 {
		if len(b) < unix.SizeofInotifyEvent {
			return dst, errInotifyShort
		}
		ev := inotifyEvent{
			wd:     int32(binary.NativeEndian.Uint32(b[0:])),
			mask:   binary.NativeEndian.Uint32(b[4:]),
			cookie: binary.NativeEndian.Uint32(b[8:]),
		}
		nameLen := binary.NativeEndian.Uint32(b[12:])
		b = b[unix.SizeofInotifyEvent:]
		if uint64(nameLen) > uint64(len(b)) {
			return dst, fmt.Errorf("%w: name of %d bytes, %d left", errInotifyShort, nameLen, len(b))
		}
		b = b[nameLen:]
		dst = append(dst, ev)
	}
	return dst, nil
}

// inotifyChanges maps an event's mask to the changes a FileWatch reports.
// IN_IGNORED (the kernel dropped the watch) and IN_UNMOUNT end it; after a
// deletion the kernel's IN_IGNORED finds the watch already ended.
func inotifyChanges(mask uint32) fileEvent {
	var ev fileEvent
	if mask&(unix.IN_MODIFY|unix.IN_CREATE|unix.IN_DELETE|unix.IN_MOVED_FROM|unix.IN_MOVED_TO) != 0 {
		ev |= fileModified
	}
	if mask&unix.IN_ATTRIB != 0 {
		ev |= fileAttrib
	}
	if mask&unix.IN_MOVE_SELF != 0 {
		ev |= fileMoved
	}
	if mask&unix.IN_DELETE_SELF != 0 {
		ev |= fileDeleted
	}
	if mask&(unix.IN_UNMOUNT|unix.IN_IGNORED) != 0 {
		ev |= fileGone
	}
	return ev
}
