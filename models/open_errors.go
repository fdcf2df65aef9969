package models

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// connectCause puts what the server said first when a PostgreSQL
// connection fails: pgx joins the errors of every attempt (each address,
// with and without TLS under sslmode=prefer), and the first line is often
// a TLS or dial error that says nothing about the real cause, a database
// that does not exist or a rejected login.
func connectCause(err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	var connErr *pgconn.ConnectError
	db, user := "", ""
	if errors.As(err, &connErr) && connErr.Config != nil {
		db, user = connErr.Config.Database, connErr.Config.User
	}
	switch pgErr.Code {
	case "3D000":
		return fmt.Errorf("PostgreSQL database %q does not exist; create it (createdb %s) or fix DATABASE_URL", db, db)
	case "28P01", "28000":
		return fmt.Errorf("PostgreSQL rejected the login of user %q (%s); check DATABASE_URL and pg_hba.conf",
			user, pgErr.Message)
	case "42501":
		return fmt.Errorf("user %q may not connect to PostgreSQL database %q (%s)", user, db, pgErr.Message)
	}
	return fmt.Errorf("%w: PostgreSQL: %s (SQLSTATE %s)", ErrUnavailable, pgErr.Message, pgErr.Code)
}

// CheckSQLitePath says, in words, why an SQLite database file cannot be
// opened for writing at path: the driver reports any such failure as
// "unable to open database file: out of memory (14)". It returns nil when
// the file can be opened (creating it if need be, as SQLite would).
func CheckSQLitePath(path string) error {
	if info, err := os.Stat(path); err == nil && info.IsDir() {
		return fmt.Errorf("%q is a directory, not a database file", path)
	}
	dir := filepath.Dir(path)
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("the directory %q of %q does not exist; create it first", dir, path)
	case errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("%q: a part of the path is not a directory", path)
	case err != nil:
		return fmt.Errorf("%q: %v", path, err)
	case !info.IsDir():
		return fmt.Errorf("%q: %q is not a directory", path, dir)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	switch {
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%q cannot be opened for writing: permission denied", path)
	case err != nil:
		return fmt.Errorf("%q cannot be opened for writing: %v", path, err)
	}
	return f.Close()
}
