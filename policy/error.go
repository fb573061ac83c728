package policy

import (
	"fmt"
	"strings"
)

// Error is a problem with one element of a permission document. Parse
// returns a single *Error; Validate and Compile return Errors. Use
// errors.As(err, &e) with e of type *Error to get the first problem either way.
type Error struct {
	// Statement is the index of the offending statement, or -1 when the
	// problem lies outside any statement (Version, Depends, the whole document).
	Statement int
	// Path locates the element, e.g. "Statement[2].Action[0]",
	// "Statement[0].Condition.StringEquals.g:UserName[1]" or "Version".
	// Empty for problems with the document as a whole.
	Path string
	// Msg says what is wrong, in a form fit to show to the policy author.
	Msg string
}

// Error returns "Path: Msg".
func (e *Error) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Errors lists every problem Validate or Compile found in one document, in
// document order. It is never empty when returned as an error.
type Errors []*Error

// Error joins the problems with "; ".
func (es Errors) Error() string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Unwrap returns the problems, so errors.As finds the first *Error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// maxErrors bounds how many problems one Validate call reports.
const maxErrors = 50

// errList collects problems while walking a document.
type errList struct {
	errs Errors
}

// add records a problem at path within statement stmt (-1 for none).
func (l *errList) add(stmt int, path, format string, args ...any) {
	if len(l.errs) >= maxErrors {
		return
	}
	l.errs = append(l.errs, &Error{Statement: stmt, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// err returns the collected problems as an error, or nil.
func (l *errList) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	return l.errs
}

// stmtPath returns "Statement[i]" followed by the given suffix.
func stmtPath(i int, suffix string) string {
	return fmt.Sprintf("Statement[%d]%s", i, suffix)
}
