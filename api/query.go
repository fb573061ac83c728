package api

import (
	"strings"
	"time"

	"github.com/imsd/imsd"
)

// ParseTimeCondition parses a created_at / updated_at filter
// "<op>:<time>" with op gt, gte, lt, lte, eq or neq and time
// "2006-01-02T15:04:05Z" or "2006-01-02 15:04:05" (UTC).
func ParseTimeCondition(s string) (imsd.TimeCondition, error) {
	op, ts, ok := strings.Cut(strings.TrimSpace(s), ":")
	switch op {
	case "gt", "gte", "lt", "lte", "eq", "neq":
	default:
		ok = false
	}
	if !ok {
		return imsd.TimeCondition{}, imsd.Errorf(imsd.CodeBadRequest, "Time filter %q must look like gt:2018-10-28T10:00:00Z (ops gt, gte, lt, lte, eq, neq).", s)
	}
	for _, layout := range []string{TimeFormat, "2006-01-02 15:04:05", time.RFC3339} {
		if t, err := time.Parse(layout, ts); err == nil {
			return imsd.TimeCondition{Op: op, Time: t.UTC()}, nil
		}
	}
	return imsd.TimeCondition{}, imsd.Errorf(imsd.CodeBadRequest, "Time %q must be yyyy-MM-ddThh:mm:ssZ or yyyy-MM-dd hh:mm:ss.", ts)
}
