package models

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// TestTranslateUnavailable: every way of losing the database becomes
// ErrUnavailable (a 503), and nothing else does.
func TestTranslateUnavailable(t *testing.T) {
	pgErr := func(code string) error {
		return fmt.Errorf("query: %w", &pgconn.PgError{Severity: "FATAL", Code: code, Message: "test"})
	}
	tests := []struct {
		name string
		err  error
		want error // the sentinel translate must return; nil for none of them
	}{
		{"admin shutdown", pgErr("57P01"), ErrUnavailable},
		{"crash shutdown", pgErr("57P02"), ErrUnavailable},
		{"cannot connect now", pgErr("57P03"), ErrUnavailable},
		{"connection failure", pgErr("08006"), ErrUnavailable},
		{"too many connections", pgErr("53300"), ErrUnavailable},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, ErrUnavailable},
		{"broken pipe", fmt.Errorf("write: %w", syscall.EPIPE), ErrUnavailable},
		{"cut mid-reply", fmt.Errorf("receive message failed: %w", io.ErrUnexpectedEOF), ErrUnavailable},
		{"closed conn", fmt.Errorf("lock: %w", pgconn.ErrConnClosed), ErrUnavailable},
		{"bad conn", driver.ErrBadConn, ErrUnavailable},
		{"text only", errors.New("FATAL: the database system is starting up"), ErrUnavailable},
		{"syntax error", pgErr("42601"), nil},
		{"unique violation", gorm.ErrDuplicatedKey, ErrConflict},
		{"not found", gorm.ErrRecordNotFound, ErrNotFound},
		{"client gone", fmt.Errorf("dial: %w", context.Canceled), context.Canceled},
		{"anything else", errors.New("boom"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := translate(tc.err)
			for _, s := range []error{ErrUnavailable, ErrConflict, ErrNotFound, context.Canceled} {
				if want := s == tc.want; errors.Is(got, s) != want {
					t.Errorf("translate(%v) = %v: errors.Is(%v) got %v, want %v", tc.err, got, s, !want, want)
				}
			}
		})
	}
}

// TestWithConnectTimeout: a URL without connect_timeout gets the default;
// one with it keeps its own.
func TestWithConnectTimeout(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u@db:5432/timeline?sslmode=disable":                    "postgres://u@db:5432/timeline?connect_timeout=5&sslmode=disable",
		"postgres://u@db:5432/timeline?connect_timeout=30&sslmode=disable": "postgres://u@db:5432/timeline?connect_timeout=30&sslmode=disable",
	} {
		if got := withConnectTimeout(in); got != want {
			t.Errorf("withConnectTimeout(%q): got %q, want %q", in, got, want)
		}
	}
}
