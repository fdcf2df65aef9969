package models

import (
	"fmt"
	"net/url"
	"slices"
)

// DefaultQueryExecMode is how pgx sends queries unless told otherwise:
// "cache_statement", pgx's own default, which prepares each distinct
// statement once per connection (a named prepared statement) and then
// only binds and executes it: the server skips parsing, and once a plan
// is cached, planning. Measured at 1M events in two runs (BENCHMARKS.md,
// issue 9): 1.0x to 1.5x the req/s of "exec" on the list pages, 2.9x to
// 3.2x on one event. Behind PgBouncer in transaction pooling (1.18, Debian 12)
// it fails: a named statement is looked up on whatever server connection
// the next transaction gets. There set DB_QUERY_EXEC_MODE=exec (the
// compose profile "scale" does): the extended protocol with an unnamed
// statement, parsed, bound and run in one round trip, parameters sent as
// text of unknown type so that the server infers their types as it does
// for literals, nothing prepared that outlives the round trip.
const DefaultQueryExecMode = "cache_statement"

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
