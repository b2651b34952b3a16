package memcache

import "strconv"

// MaxKeyLength is the longest key memcached accepts.
const MaxKeyLength = 250

// validKey reports whether k is a key memcached accepts: 1 to 250 bytes,
// none of them a space or a control character.
func validKey[T string | []byte](k T) bool {
	if len(k) == 0 || len(k) > MaxKeyLength {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// The encoders below append one command line (and data block) of the text
// protocol to buf. They trust their caller to have validated the keys.

const crlf = "\r\n"

// appendStore appends a storage command: verb is set, add, replace,
// append, prepend or cas (then casID is sent).
func appendStore(buf []byte, verb, key string, flags uint32, exptime int32, value []byte, casID uint64, noreply bool) []byte {
	buf = append(buf, verb...)
	buf = append(buf, ' ')
	buf = append(buf, key...)
	buf = append(buf, ' ')
	buf = strconv.AppendUint(buf, uint64(flags), 10)
	buf = append(buf, ' ')
	buf = strconv.AppendInt(buf, int64(exptime), 10)
	buf = append(buf, ' ')
	buf = strconv.AppendInt(buf, int64(len(value)), 10)
	if verb == "cas" {
		buf = append(buf, ' ')
		buf = strconv.AppendUint(buf, casID, 10)
	}
	buf = appendNoreply(buf, noreply)
	buf = append(buf, value...)
	return append(buf, crlf...)
}

// appendRetrieve appends get or gets of keys.
func appendRetrieve(buf []byte, verb string, keys []string) []byte {
	buf = append(buf, verb...)
	for _, k := range keys {
		buf = append(buf, ' ')
		buf = append(buf, k...)
	}
	return append(buf, crlf...)
}

// appendKeyCmd appends "verb key" (delete).
func appendKeyCmd(buf []byte, verb, key string, noreply bool) []byte {
	buf = append(buf, verb...)
	buf = append(buf, ' ')
	buf = append(buf, key...)
	return appendNoreply(buf, noreply)
}

// appendKeyUint appends "verb key n" (incr, decr).
func appendKeyUint(buf []byte, verb, key string, n uint64, noreply bool) []byte {
	buf = append(buf, verb...)
	buf = append(buf, ' ')
	buf = append(buf, key...)
	buf = append(buf, ' ')
	buf = strconv.AppendUint(buf, n, 10)
	return appendNoreply(buf, noreply)
}

// appendTouch appends "touch key exptime".
func appendTouch(buf []byte, key string, exptime int32, noreply bool) []byte {
	buf = append(buf, "touch "...)
	buf = append(buf, key...)
	buf = append(buf, ' ')
	buf = strconv.AppendInt(buf, int64(exptime), 10)
	return appendNoreply(buf, noreply)
}

// appendFlushAll appends "flush_all [delay]".
func appendFlushAll(buf []byte, delay int32, noreply bool) []byte {
	buf = append(buf, "flush_all"...)
	if delay > 0 {
		buf = append(buf, ' ')
		buf = strconv.AppendInt(buf, int64(delay), 10)
	}
	return appendNoreply(buf, noreply)
}

// appendNoreply ends a command line, with " noreply" when asked.
func appendNoreply(buf []byte, noreply bool) []byte {
	if noreply {
		buf = append(buf, " noreply"...)
	}
	return append(buf, crlf...)
}
