package main

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestLoadConfigOperations checks the defaults and validation of the
// settings that bound the service: rate limit, statement timeout and the
// HTTP server's timeouts.
func TestLoadConfigOperations(t *testing.T) {
	c, err := loadConfig(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.rateLimit != 10 || c.rateBurst != 20 || c.statementTimeout != 10*time.Second ||
		c.readHeaderTimeout != 5*time.Second || c.readTimeout != 15*time.Second ||
		c.writeTimeout != 60*time.Second || c.idleTimeout != 120*time.Second {
		t.Errorf("defaults: got %+v, want rate 10/s burst 20, statement timeout 10s, timeouts 5s/15s/60s/120s", c)
	}
	c, err = loadConfig(env(map[string]string{"RATE_LIMIT_RPS": "0", "DB_STATEMENT_TIMEOUT": "0", "RATE_LIMIT_BURST": "5",
		"HTTP_WRITE_TIMEOUT": "5m"}))
	if err != nil || c.rateLimit != 0 || c.statementTimeout != 0 || c.rateBurst != 5 || c.writeTimeout != 5*time.Minute {
		t.Errorf("RATE_LIMIT_RPS=0 DB_STATEMENT_TIMEOUT=0 RATE_LIMIT_BURST=5 HTTP_WRITE_TIMEOUT=5m: got %+v, %v", c, err)
	}
	for _, kv := range [][2]string{{"RATE_LIMIT_RPS", "fast"}, {"RATE_LIMIT_RPS", "-1"}, {"RATE_LIMIT_RPS", "NaN"},
		{"RATE_LIMIT_BURST", "0"}, {"DB_STATEMENT_TIMEOUT", "10"}, {"DB_STATEMENT_TIMEOUT", "-1s"},
		{"HTTP_READ_HEADER_TIMEOUT", "0"}, {"HTTP_READ_TIMEOUT", "x"}, {"HTTP_WRITE_TIMEOUT", "-5s"}, {"HTTP_IDLE_TIMEOUT", "1"}} {
		_, err := loadConfig(env(map[string]string{kv[0]: kv[1]}))
		if err == nil || !strings.Contains(err.Error(), kv[0]) {
			t.Errorf("%s=%s: got %v, want an error naming %s", kv[0], kv[1], err, kv[0])
		}
	}
}

// TestSlowHeadersAreCutOff opens a connection to the real server and sends
// a request's headers slowly: the server closes the connection once
// HTTP_READ_HEADER_TIMEOUT has passed, although the other timeouts are
// long.
func TestSlowHeadersAreCutOff(t *testing.T) {
	port := serveEmbedded(t, map[string]string{"HTTP_READ_HEADER_TIMEOUT": "300ms", "HTTP_READ_TIMEOUT": "2m", "HTTP_IDLE_TIMEOUT": "2m"})

	conn, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	closed := make(chan error, 1)
	go func() {
		// Reads until the server closes the connection.
		_, err := io.Copy(io.Discard, conn)
		closed <- err
	}()
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n"); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		select {
		case <-closed:
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("connection closed after %v, want well before 10s", d)
			}
			return
		case <-time.After(100 * time.Millisecond):
		}
		if time.Since(start) > 10*time.Second {
			t.Fatal("the server kept a connection whose headers trickled in for 10s, want it closed after 300ms")
		}
		// One more header line, never the blank line that ends them.
		if _, err := io.WriteString(conn, "X-Slow: "+strings.Repeat("a", i%10)+"\r\n"); err != nil {
			return // the server has closed its end
		}
	}
}
