package sqldb

import (
	"encoding/json"
	"fmt"
	"time"
)

// UnixMicro is a Dialect.Time for backends without a time type: the time as
// INTEGER microseconds since the Unix epoch. It covers the zero time.Time
// (year 1) and sorts like the time itself.
func UnixMicro(t time.Time) any { return t.UnixMicro() }

// TimeValue is a Dialect.Time for backends with a native timestamp type:
// the time itself, in UTC.
func TimeValue(t time.Time) any { return t.UTC() }

// timeDst scans a time column into *t, always in UTC.
type timeDst struct{ t *time.Time }

// Scan implements sql.Scanner.
func (d timeDst) Scan(src any) error {
	switch v := src.(type) {
	case int64:
		*d.t = time.UnixMicro(v).UTC()
	case time.Time:
		*d.t = v.UTC()
	case nil:
		*d.t = time.Time{}
	default:
		return fmt.Errorf("cannot scan %T into a time", src)
	}
	return nil
}

// jsonDst scans a TEXT column holding JSON into the value v points to.
type jsonDst struct{ v any }

// Scan implements sql.Scanner.
func (d jsonDst) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	case nil:
		return nil
	default:
		return fmt.Errorf("cannot scan %T as JSON", src)
	}
	return json.Unmarshal(b, d.v)
}

// jsonTags encodes tags as a JSON array, [] when there are none.
func jsonTags(tags []string) (string, error) {
	if len(tags) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(tags)
	return string(b), err
}

// jsonProps encodes properties as a JSON object, {} when there are none.
func jsonProps(props map[string]string) (string, error) {
	if len(props) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(props)
	return string(b), err
}

// bytesOrEmpty returns b, or an empty non-nil slice for nil so NOT NULL
// binary columns never receive NULL.
func bytesOrEmpty(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
