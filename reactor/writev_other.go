//go:build freebsd || netbsd

package reactor

// writevFd writes the buffers joined, in one write(2) (x/sys has no
// writev here).
func writevFd(fd int, bufs [][]byte) (int, error) {
	var joined []byte
	for _, b := range bufs {
		joined = append(joined, b...)
	}
	if len(joined) == 0 {
		return 0, nil
	}
	return writeFd(fd, joined)
}
