package models

import (
	"net/url"
	"strconv"
	"time"
)

// defaultConnectTimeout bounds each attempt to open a PostgreSQL
// connection when DATABASE_URL does not set connect_timeout. Without it, a
// connection to a host that drops packets (a dead machine, a failover in
// progress) waits for the kernel's TCP timeout, about two minutes, and so
// does every request that needs a new connection; with it they get a 503
// within seconds. A refused connection fails at once either way.
const defaultConnectTimeout = 5 * time.Second

// withConnectTimeout adds connect_timeout (whole seconds, which pgx reads
// as its ConnectTimeout) to a postgres:// URL that has none.
func withConnectTimeout(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn // connecting will report the bad URL
	}
	q := u.Query()
	if q.Has("connect_timeout") {
		return dsn
	}
	q.Set("connect_timeout", strconv.Itoa(int(defaultConnectTimeout/time.Second)))
	u.RawQuery = q.Encode()
	return u.String()
}
