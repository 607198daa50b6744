package filterpattern

import "fmt"

// SyntaxError reports a pattern that CloudWatch Logs would reject, or that
// this package cannot interpret, with the position of the problem.
type SyntaxError struct {
	Offset int    // 0-based byte offset in the pattern
	Msg    string // what was expected and what was found
}

// Error renders the error as `filter pattern: column N: MSG`, with N = Offset+1.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("filter pattern: column %d: %s", e.Offset+1, e.Msg)
}

// errorf returns a *SyntaxError at offset off.
func errorf(off int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}
