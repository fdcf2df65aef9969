package models

import (
	"fmt"
	"net/url"
	"slices"
)

// DefaultQueryExecMode is how pgx sends queries unless told otherwise:
// "exec", the extended protocol with an unnamed statement, parsed, bound
// and run in one round trip, parameters sent as text of unknown type so
// that the server infers their types as it does for literals. It prepares
// nothing that outlives the round trip, so it is safe behind PgBouncer in
// transaction pooling mode, which 1.18 (Debian 12) needs: a named
// prepared statement (pgx's own default, "cache_statement") would be
// looked up on whatever server connection the next transaction gets, and
// fail there. Connecting directly, "cache_statement" saves the server a
// parse per query; BENCHMARKS.md measures what that is worth here.
const DefaultQueryExecMode = "exec"

// queryExecModes are the values pgx accepts for default_query_exec_mode.
var queryExecModes = []string{"cache_statement", "cache_describe", "describe_exec", "exec", "simple_protocol"}

// postgresDSN is a postgres:// URL with the store's settings added:
// statement_timeout (sent at connect), connect_timeout and the query
// execution mode.
func postgresDSN(raw string, cfg Config) (string, error) {
	dsn, err := withStatementTimeout(raw, cfg.StatementTimeout)
	if err != nil {
		return "", err
	}
	dsn = withConnectTimeout(dsn)
	mode := cfg.QueryExecMode
	if mode == "" {
		mode = DefaultQueryExecMode
	}
	if !slices.Contains(queryExecModes, mode) {
		return "", fmt.Errorf("DB_QUERY_EXEC_MODE=%q: want one of %v", mode, queryExecModes)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("DATABASE_URL is not a URL")
	}
	q := u.Query()
	if !q.Has("default_query_exec_mode") {
		q.Set("default_query_exec_mode", mode)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}
