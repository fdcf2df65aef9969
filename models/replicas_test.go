package models

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestConsistencyTokenText(t *testing.T) {
	lsn, err := parseLSN("1A/3000148")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := lsn.String(), "0000001A03000148"; got != want {
		t.Fatalf("token of 1A/3000148: got %s, want %s", got, want)
	}
	back, err := ParseConsistencyToken(lsn.String())
	if err != nil || back != lsn {
		t.Fatalf("ParseConsistencyToken(%s): got %v, %v; want %v", lsn, back, err, lsn)
	}
	for _, bad := range []string{"", "1A/3000148", "0000001A0300014", "0000001A03000148F", "000000ZZ03000148"} {
		if _, err := ParseConsistencyToken(bad); err == nil {
			t.Errorf("ParseConsistencyToken(%q): got no error, want one", bad)
		}
	}
}

func TestLSNHistoryLag(t *testing.T) {
	var h lsnHistory
	t0 := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	h.record(t0, 100, time.Minute)
	h.record(t0.Add(time.Second), 100, time.Minute) // idle: not a new position
	h.record(t0.Add(2*time.Second), 200, time.Minute)
	h.record(t0.Add(3*time.Second), 300, time.Minute)
	now := t0.Add(5 * time.Second)
	for _, c := range []struct {
		replayed ConsistencyToken
		want     time.Duration
	}{
		{300, 0}, {400, 0}, {250, 2 * time.Second}, {200, 2 * time.Second}, {150, 3 * time.Second}, {50, 5 * time.Second},
	} {
		if got := h.lagBehind(now, c.replayed); got != c.want {
			t.Errorf("lag of a replica at %d: got %v, want %v", c.replayed, got, c.want)
		}
	}
	// Old samples go, but the latest stays: a replica far behind still
	// reads as lagging by at least the retention.
	h.record(t0.Add(10*time.Minute), 300, time.Minute)
	if got := h.lagBehind(t0.Add(10*time.Minute), 50); got < 0 || len(h.samples) != 1 {
		t.Errorf("after pruning: %d samples, lag %v; want the latest sample kept", len(h.samples), got)
	}
}

func TestRetryable(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "57P01"}, true},  // admin_shutdown
		{&pgconn.PgError{Code: "08P01"}, true},  // PgBouncer: server conn crashed, query_wait_timeout
		{&pgconn.PgError{Code: "53300"}, true},  // too many connections
		{&pgconn.PgError{Code: "40001"}, true},  // conflict with recovery
		{&pgconn.PgError{Code: "57014"}, false}, // statement_timeout
		{&pgconn.PgError{Code: "42601"}, false}, // syntax
		{&pgconn.PgError{Code: "22007"}, false}, // bad datetime
		{io.ErrUnexpectedEOF, true},
		{context.Canceled, false},
		{context.DeadlineExceeded, false},
		{errors.New("dial tcp: connection refused"), true},
	} {
		if got := retryable(c.err); got != c.want {
			t.Errorf("retryable(%v): got %v, want %v", c.err, got, c.want)
		}
	}
}
