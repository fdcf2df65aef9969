package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// translate maps driver and GORM errors to this package's sentinels.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled):
		// The caller went away, even if it was mid-connect: say so, not
		// that the database failed.
		return err
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ErrNotFound
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return fmt.Errorf("%w: %v", ErrConflict, err)
	case isKind(err):
		return err
	case sqliteCode(err) == sqliteCorrupt, sqliteCode(err) == sqliteNotADB:
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	case sqliteCode(err) == sqliteIOErr, sqliteCode(err) == sqliteFull, sqliteCode(err) == sqliteCantOpen:
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	case isQueryCanceled(err):
		return fmt.Errorf("%w: %v", ErrTimeout, err)
	case isUnavailable(err):
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	case errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return err
}

// SQLite's primary result codes that mean the file, not the statement, is
// at fault (https://sqlite.org/rescode.html).
const (
	sqliteBusy     = 5
	sqliteIOErr    = 10
	sqliteCorrupt  = 11
	sqliteFull     = 13
	sqliteCantOpen = 14
	sqliteNotADB   = 26
)

// sqliteCode returns the primary result code of an SQLite error, 0 for
// any other error.
func sqliteCode(err error) int {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		return coded.Code() & 0xff // extended codes keep the primary in the low byte
	}
	return 0
}

// isKind reports whether err already is one of this package's kinds.
func isKind(err error) bool {
	for _, k := range Kinds {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

// isUnavailable reports whether err means the database cannot serve right
// now (down, restarting, unreachable, or our connection to it was cut)
// rather than that the query is wrong. Such errors pass once the database
// is back: database/sql discards the broken connection and dials anew.
func isUnavailable(err error) bool {
	// Any failure to establish a connection, whatever its cause: refused,
	// timed out (connect_timeout or the caller's deadline), rejected by a
	// server that is starting up or shutting down.
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return unavailableSQLState(pgErr.Code)
	}
	var netErr net.Error
	switch {
	case errors.As(err, &netErr), // refused, reset, broken pipe, I/O timeout
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), // the server closed the socket mid-reply
		errors.Is(err, pgconn.ErrConnClosed), errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone):
		return true
	}
	// A fallback for errors that arrive only as text: wrapped with %v
	// somewhere on the way, or from the SQLite driver (a busy file).
	msg := err.Error()
	for _, s := range []string{"connection refused", "connection reset", "broken pipe", "unexpected EOF",
		"failed to connect", "conn closed", "driver: bad connection", "terminating connection",
		"the database system is shutting down", "the database system is starting up",
		"the database system is in recovery mode", "database is locked"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// isQueryCanceled reports whether the server cancelled the statement
// (SQLSTATE 57014 query_canceled), as statement_timeout does.
func isQueryCanceled(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "57014"
}

// unavailableSQLState reports whether a server error code says the server
// cannot serve now, as opposed to rejecting the statement.
func unavailableSQLState(code string) bool {
	switch {
	case strings.HasPrefix(code, "08"): // connection_exception and its subclasses
		return true
	case code == "53300": // too_many_connections
		return true
	case code == "57P01": // admin_shutdown: pg_ctl stop -m fast, pg_terminate_backend
		return true
	case code == "57P02": // crash_shutdown: pg_ctl stop -m immediate, a crashed backend
		return true
	case code == "57P03": // cannot_connect_now: starting up, shutting down, in recovery
		return true
	}
	return false
}
