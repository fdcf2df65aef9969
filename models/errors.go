package models

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// The kinds of error the store and the domain return: a closed set that the
// API maps, one to one, to an HTTP status and problem type. Callers test
// them with errors.Is; nothing above the store sees a driver error.
var (
	// ErrNotFound means the requested record does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalid means input failed validation; the error is a *ValidationError.
	ErrInvalid = errors.New("invalid input")
	// ErrMalformed means a request body is not the JSON document it claims
	// to be.
	ErrMalformed = errors.New("malformed input")
	// ErrUnsupportedMediaType means a request body has a media type the
	// operation does not take.
	ErrUnsupportedMediaType = errors.New("unsupported media type")
	// ErrTooLarge means a request body is larger than the operation takes.
	ErrTooLarge = errors.New("request too large")
	// ErrConflict means a write would break a uniqueness rule, or remove a
	// record that others still depend on.
	ErrConflict = errors.New("conflict")
	// ErrPreconditionRequired means a write that must name the version it
	// changes did not; see ErrPreconditionFailed.
	ErrPreconditionRequired = errors.New("precondition required")
	// ErrPreconditionFailed means the version a write names is not the
	// current one; the error is a *StaleError.
	ErrPreconditionFailed = errors.New("precondition failed")
	// ErrUnauthorized means a write came without valid credentials.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden means the credentials are valid but do not allow the write.
	ErrForbidden = errors.New("forbidden")
	// ErrGone means the record existed and was retracted; the error is a
	// *RetractedError.
	ErrGone = errors.New("gone")
	// ErrIdempotencyInFlight means a request with the same idempotency key is
	// still being processed.
	ErrIdempotencyInFlight = errors.New("idempotency key in flight")
	// ErrIdempotencyMismatch means an idempotency key was reused for a
	// different request.
	ErrIdempotencyMismatch = errors.New("idempotency key reused")
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

// Kinds lists every error kind, for the API's table and its test.
var Kinds = []error{ErrNotFound, ErrInvalid, ErrMalformed, ErrUnsupportedMediaType, ErrTooLarge, ErrConflict,
	ErrPreconditionRequired, ErrPreconditionFailed, ErrUnauthorized, ErrForbidden, ErrGone,
	ErrIdempotencyInFlight, ErrIdempotencyMismatch, ErrUnavailable}

// kindError is an error of a kind with a message safe to show a client.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string        { return e.msg }
func (e *kindError) Is(target error) bool { return target == e.kind }

// Errorf returns an error of kind whose message, formatted from format and
// args, is written for the client: it must hold no internal detail.
func Errorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// Detail returns the client-safe message of an error made by Errorf, and
// "" for any other error.
func Detail(err error) string {
	var k *kindError
	if errors.As(err, &k) {
		return k.msg
	}
	return ""
}

// StaleError says a write named a version that is no longer current. It
// matches ErrPreconditionFailed.
type StaleError struct {
	// Current is the version the record has now.
	Current int64
}

func (e *StaleError) Error() string        { return fmt.Sprintf("stale version; current is %d", e.Current) }
func (e *StaleError) Is(target error) bool { return target == ErrPreconditionFailed }

// RetractedError says an event was retracted. It matches ErrGone.
type RetractedError struct {
	ID          string
	RetractedAt time.Time
	// Version is the retracted event's current version: a PUT naming it
	// restores the event.
	Version int64
}

func (e *RetractedError) Error() string        { return "event " + e.ID + " was retracted" }
func (e *RetractedError) Is(target error) bool { return target == ErrGone }

// FieldError names one invalid field (or query parameter) and why.
type FieldError struct {
	Field  string
	Reason string
}

// Where a ValidationError's fields are.
const (
	// InQuery means the fields are query parameters.
	InQuery = "query"
	// InBody means the fields are JSON Pointers into a request body.
	InBody = "body"
)

// ValidationError lists every invalid field found, so a client can fix all
// of them at once. It matches ErrInvalid with errors.Is.
type ValidationError struct {
	// In says what the fields name: InQuery (the default) or InBody.
	In     string
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

// InvalidBody returns a *ValidationError for one field of a request body,
// named by its JSON Pointer.
func InvalidBody(pointer, format string, args ...any) error {
	v := &ValidationError{In: InBody}
	v.Add(pointer, format, args...)
	return v
}
