package models

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestConnectCausePutsTheServerFirst: when pgx joins a TLS attempt's error
// with the server's answer, the message names the server's answer.
func TestConnectCausePutsTheServerFirst(t *testing.T) {
	joined := errors.Join(errors.New("127.0.0.1:5432 (localhost): tls error: server refused TLS connection"),
		&pgconn.PgError{Severity: "FATAL", Code: "3D000", Message: `database "timeline" does not exist`})
	got := connectCause(joined).Error()
	if !strings.Contains(got, "does not exist; create it") || strings.Contains(got, "tls error") {
		t.Errorf("got %q, want the missing database named and no TLS error", got)
	}
	other := errors.New("dial tcp 127.0.0.1:1: connect: connection refused")
	if connectCause(other) != other {
		t.Errorf("an error without a server answer: got %v, want it unchanged", connectCause(other))
	}
}

// TestCheckSQLitePath names why a path cannot hold the database.
func TestCheckSQLitePath(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		filepath.Join(dir, "missing", "t.db"): "does not exist",
		filepath.Join(file, "t.db"):           "not a directory",
		dir:                                   "is a directory",
	} {
		if err := CheckSQLitePath(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error saying %q", path, err, want)
		}
	}
	if err := CheckSQLitePath(filepath.Join(dir, "ok.db")); err != nil {
		t.Errorf("a writable path: got %v, want nil", err)
	}
}
