package redis

import (
	"fmt"
	"strconv"
	"time"
)

// AppendCommand appends args to dst as one RESP command (an array of bulk
// strings) and returns the extended buffer. It takes strings, []byte, the
// integer and float types, bool (1 or 0), time.Duration (whole
// milliseconds) and fmt.Stringer; anything else is an error and dst is
// returned unchanged.
//
// AppendCommand is a pure function, safe for concurrent use.
func AppendCommand(dst []byte, args ...any) ([]byte, error) {
	if len(args) == 0 {
		return dst, fmt.Errorf("redis: empty command")
	}
	start := len(dst)
	dst = appendHeader(dst, '*', len(args))
	for i, a := range args {
		var err error
		if dst, err = appendArg(dst, a); err != nil {
			return dst[:start], fmt.Errorf("redis: argument %d: %w", i, err)
		}
	}
	return dst, nil
}

// AppendStrings is AppendCommand for string arguments only, without
// boxing them into interfaces.
func AppendStrings(dst []byte, args ...string) []byte {
	dst = appendHeader(dst, '*', len(args))
	for _, a := range args {
		dst = appendBulkString(dst, a)
	}
	return dst
}

func appendHeader(dst []byte, kind byte, n int) []byte {
	dst = append(dst, kind)
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, '\r', '\n')
}

func appendBulkString(dst []byte, s string) []byte {
	dst = appendHeader(dst, '$', len(s))
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}

func appendBulkBytes(dst, b []byte) []byte {
	dst = appendHeader(dst, '$', len(b))
	dst = append(dst, b...)
	return append(dst, '\r', '\n')
}

// appendBulkNumber writes a number as a bulk string: formatted once into
// the buffer's tail, then framed.
func appendBulkNumber(dst []byte, format func([]byte) []byte) []byte {
	var tmp [32]byte
	num := format(tmp[:0])
	return appendBulkBytes(dst, num)
}

func appendArg(dst []byte, a any) ([]byte, error) {
	switch v := a.(type) {
	case string:
		return appendBulkString(dst, v), nil
	case []byte:
		return appendBulkBytes(dst, v), nil
	case int:
		return appendInt(dst, int64(v)), nil
	case int64:
		return appendInt(dst, v), nil
	case int32:
		return appendInt(dst, int64(v)), nil
	case int16:
		return appendInt(dst, int64(v)), nil
	case int8:
		return appendInt(dst, int64(v)), nil
	case uint:
		return appendUint(dst, uint64(v)), nil
	case uint64:
		return appendUint(dst, v), nil
	case uint32:
		return appendUint(dst, uint64(v)), nil
	case uint16:
		return appendUint(dst, uint64(v)), nil
	case uint8:
		return appendUint(dst, uint64(v)), nil
	case float64:
		return appendFloat(dst, v), nil
	case float32:
		return appendFloat(dst, float64(v)), nil
	case bool:
		if v {
			return appendBulkString(dst, "1"), nil
		}
		return appendBulkString(dst, "0"), nil
	case time.Duration:
		return appendInt(dst, v.Milliseconds()), nil
	case fmt.Stringer:
		return appendBulkString(dst, v.String()), nil
	}
	return dst, fmt.Errorf("unsupported type %T", a)
}

func appendInt(dst []byte, n int64) []byte {
	return appendBulkNumber(dst, func(b []byte) []byte { return strconv.AppendInt(b, n, 10) })
}

func appendUint(dst []byte, n uint64) []byte {
	return appendBulkNumber(dst, func(b []byte) []byte { return strconv.AppendUint(b, n, 10) })
}

func appendFloat(dst []byte, f float64) []byte {
	return appendBulkNumber(dst, func(b []byte) []byte { return strconv.AppendFloat(b, f, 'f', -1, 64) })
}
