package redis

import (
	"fmt"
	"strconv"
)

// replyError returns the server error a value carries, or nil.
func replyError(v Value) error {
	if v.Kind == KindError || v.Kind == KindBlobError {
		return Error(v.Str)
	}
	return nil
}

// AsString returns a string-like reply (simple, bulk, verbatim, big
// number, double, integer) as a string; Nil for a null.
func (v Value) AsString() (string, error) {
	switch v.Kind {
	case KindSimple, KindBulk, KindVerbatim, KindBigNumber:
		return v.Str, nil
	case KindInt:
		return strconv.FormatInt(v.Int, 10), nil
	case KindDouble:
		return strconv.FormatFloat(v.Float, 'f', -1, 64), nil
	case KindNull:
		return "", Nil
	}
	return "", v.typeError("string")
}

// AsInt returns an integer reply, or a string or boolean reply that holds
// one, as an int64; Nil for a null.
func (v Value) AsInt() (int64, error) {
	switch v.Kind {
	case KindInt, KindBool:
		return v.Int, nil
	case KindSimple, KindBulk, KindBigNumber:
		n, err := strconv.ParseInt(v.Str, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("redis: reply %q is not an integer", v.Str)
		}
		return n, nil
	case KindNull:
		return 0, Nil
	}
	return 0, v.typeError("integer")
}

// AsFloat returns a double reply, or a string or integer that holds a
// number, as a float64; Nil for a null.
func (v Value) AsFloat() (float64, error) {
	switch v.Kind {
	case KindDouble:
		return v.Float, nil
	case KindInt:
		return float64(v.Int), nil
	case KindSimple, KindBulk:
		f, err := strconv.ParseFloat(v.Str, 64)
		if err != nil {
			return 0, fmt.Errorf("redis: reply %q is not a number", v.Str)
		}
		return f, nil
	case KindNull:
		return 0, Nil
	}
	return 0, v.typeError("number")
}

// AsBool returns a boolean reply, or an integer (non-zero is true) or
// "OK", as a bool; Nil for a null.
func (v Value) AsBool() (bool, error) {
	switch v.Kind {
	case KindBool, KindInt:
		return v.Int != 0, nil
	case KindSimple:
		return v.Str == "OK", nil
	case KindNull:
		return false, Nil
	}
	return false, v.typeError("boolean")
}

// AsStrings returns an array, set or push of string-like elements as a
// []string (a null element becomes ""); Nil for a null. A map gives its
// keys and values alternating.
func (v Value) AsStrings() ([]string, error) {
	switch v.Kind {
	case KindArray, KindSet, KindPush, KindMap:
	case KindNull:
		return nil, Nil
	default:
		return nil, v.typeError("array")
	}
	out := make([]string, len(v.Elems))
	for i, e := range v.Elems {
		if e.Kind == KindNull {
			continue
		}
		s, err := e.AsString()
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// AsMap returns a RESP3 map, or a RESP2 array of alternating keys and
// values (HGETALL, CONFIG GET), as a map[string]string; Nil for a null.
func (v Value) AsMap() (map[string]string, error) {
	ss, err := v.AsStrings()
	if err != nil {
		return nil, err
	}
	if len(ss)%2 != 0 {
		return nil, fmt.Errorf("redis: reply of %d elements is not a map", len(ss))
	}
	m := make(map[string]string, len(ss)/2)
	for i := 0; i < len(ss); i += 2 {
		m[ss[i]] = ss[i+1]
	}
	return m, nil
}

func (v Value) typeError(want string) error {
	return fmt.Errorf("redis: reply of type %q is not a %s", byte(v.Kind), want)
}
