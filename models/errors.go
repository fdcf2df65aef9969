package models

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors returned by the store. Callers test them with errors.Is;
// nothing above the store sees a driver error.
var (
	// ErrNotFound means the requested record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a write would break a uniqueness rule.
	ErrConflict = errors.New("conflict")
	// ErrInvalid means input failed validation; the error is a *ValidationError.
	ErrInvalid = errors.New("invalid input")
	// ErrUnavailable means the database could not be reached or timed out.
	ErrUnavailable = errors.New("database unavailable")
	// ErrTimeout means a statement ran past the database's statement
	// timeout: the query asked for too much. It matches ErrUnavailable.
	ErrTimeout = fmt.Errorf("%w: statement timed out", ErrUnavailable)
	// ErrCorrupt means the database file is damaged (SQLite's
	// SQLITE_CORRUPT or SQLITE_NOTADB): no retry will help until it is
	// restored. It matches ErrUnavailable.
	ErrCorrupt = fmt.Errorf("%w: the database file is corrupt", ErrUnavailable)
)

// FieldError names one invalid field (or query parameter) and why.
type FieldError struct {
	Field  string
	Reason string
}

// ValidationError lists every invalid field found, so a client can fix all
// of them at once. It matches ErrInvalid with errors.Is.
type ValidationError struct {
	Fields []FieldError
}

// Add records one more invalid field.
func (e *ValidationError) Add(field, format string, args ...any) {
	e.Fields = append(e.Fields, FieldError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// Err returns e if any field was recorded and nil otherwise.
func (e *ValidationError) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Reason
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Is makes errors.Is(err, ErrInvalid) true for a *ValidationError.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Invalid returns a *ValidationError for a single field.
func Invalid(field, format string, args ...any) error {
	v := &ValidationError{}
	v.Add(field, format, args...)
	return v
}
