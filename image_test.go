package imsd

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestValidateName(t *testing.T) {
	cases := []struct {
		name, in string
		code     Code
	}{
		{"plain", "ubuntu-22.04_golden copy", ""},
		{"chinese", "镜像-1", ""},
		{"empty", "", CodeNameRequired},
		{"129 characters", strings.Repeat("a", 129), CodeNameTooLong},
		{"128 characters", strings.Repeat("a", 128), ""},
		{"leading space", " a", CodeNameInvalid},
		{"slash", "a/b", CodeNameInvalid},
		{"plus", "a+b", CodeNameInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ErrorCode(ValidateName(c.in)); got != c.code {
				t.Fatalf("code %q, want %q", got, c.code)
			}
		})
	}
}

func TestValidateDescription(t *testing.T) {
	cases := []struct {
		name, in string
		code     Code
	}{
		{"ok", "a copy for staging", ""},
		{"1025 characters", strings.Repeat("d", 1025), CodeDescriptionTooLong},
		{"angle bracket", "<script>", CodeDescriptionInvalid},
		{"carriage return", "a\rb", CodeDescriptionInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := ErrorCode(ValidateDescription(c.in)); got != c.code {
				t.Fatalf("code %q, want %q", got, c.code)
			}
		})
	}
}

func TestErrorsAsData(t *testing.T) {
	err := Errorf(CodeImageNotFound, "")
	if !errors.Is(err, &Error{Code: CodeImageNotFound}) || errors.Is(err, &Error{Code: CodeBadRequest}) {
		t.Fatal("errors.Is must match on the code")
	}
	if ErrorCode(errors.New("boom")) != CodeInternal || ErrorMessage(errors.New("secret detail")) != CodeInternal.Info().Message {
		t.Fatal("non-application errors must be internal with a generic message")
	}
	for code, info := range Codes() {
		if info.Status < 400 || info.Status > 599 || info.Message == "" {
			t.Fatalf("%s: status %d message %q", code, info.Status, info.Message)
		}
		// Only the server's own conditions are 5xx: an unknown error and a
		// full image store.
		if info.Status >= 500 && code != CodeInternal && code != CodeStorageFull {
			t.Fatalf("%s answers %d: client mistakes must never be 5xx", code, info.Status)
		}
	}
	full := fmt.Errorf("write: %w: no space left on device", ErrStorageFull)
	if ErrorCode(full) != CodeStorageFull || ErrorCode(Internal(full, "upload")) != CodeStorageFull {
		t.Fatal("a full image store must keep its code through Internal")
	}
}

func TestTimeCondition(t *testing.T) {
	ref := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		op   string
		t    time.Time
		want bool
	}{
		{"gt", ref.Add(time.Second), true}, {"gt", ref, false}, {"gte", ref, true}, {"lt", ref.Add(-time.Second), true},
		{"lte", ref.Add(500 * time.Millisecond), true}, {"eq", ref.Add(999 * time.Millisecond), true}, {"neq", ref, false},
		{"bogus", ref, false},
	}
	for _, c := range cases {
		t.Run(c.op+" "+c.t.Format(time.RFC3339Nano), func(t *testing.T) {
			if got := (TimeCondition{Op: c.op, Time: ref}).Match(c.t); got != c.want {
				t.Fatalf("Match = %v, want %v", got, c.want)
			}
		})
	}
}
