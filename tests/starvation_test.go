package tests

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/csto-timeline/timeline/models"
)

// Slow readers: more crawling exports than the pool has connections.
const (
	starvePool      = 4                     // DB_MAX_OPEN_CONNS of the service under test
	starveExports   = 3 * starvePool        // slow exports started at once
	starveEvents    = 2000                  // generated events: a few MB of CSV
	starveChunk     = 64                    // bytes a slow client reads at a time...
	starvePace      = 20 * time.Millisecond // ...every this long (3 KB/s)
	starveClientMax = 10 * time.Second      // an ordinary request's client timeout
)

// smallBufferListener shrinks the kernel's send buffer of every accepted
// connection, so that a slow client stalls the server after kilobytes
// rather than megabytes, as it would behind a slow link.
type smallBufferListener struct{ net.Listener }

func (l smallBufferListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(8 << 10)
	}
	return c, err
}

// slowExport is one export read a few bytes at a time.
type slowExport struct {
	conn   net.Conn
	status int
	header http.Header
	done   chan error // receives why reading stopped: the end, or an error
}

// startSlowExport sends GET path and reads the response head, then keeps
// reading starveChunk bytes every starvePace until stop is closed.
func startSlowExport(t *testing.T, addr, path string, stop <-chan struct{}) *slowExport {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.(*net.TCPConn).SetReadBuffer(4 << 10)
	t.Cleanup(func() { conn.Close() })
	x := &slowExport{conn: conn, done: make(chan error, 1)}
	if _, err := io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: "+addr+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	// The head comes at once, or not at all while the pool is exhausted.
	_ = conn.SetReadDeadline(time.Now().Add(starveClientMax))
	r := bufio.NewReaderSize(conn, starveChunk)
	res, err := http.ReadResponse(r, nil)
	if err != nil {
		x.done <- err
		return x
	}
	x.status, x.header = res.StatusCode, res.Header
	_ = conn.SetReadDeadline(time.Time{})
	go func() {
		buf := make([]byte, starveChunk)
		for {
			select {
			case <-stop:
				x.done <- nil
				return
			case <-time.After(starvePace):
			}
			if _, err := res.Body.Read(buf); err != nil {
				x.done <- err
				return
			}
		}
	}()
	return x
}

// TestSlowExportsDoNotStarve starts three times as many crawling CSV
// exports as the service has database connections, and checks that while
// they are open ordinary requests and /readyz are answered, and that the
// exports beyond the service's share are refused with a 503 problem and
// Retry-After rather than queued.
func TestSlowExportsDoNotStarve(t *testing.T) {
	for _, dialect := range dialects() {
		t.Run(dialect, func(t *testing.T) {
			b, cleanup, err := newBackendWith(context.Background(), dialect, models.Config{MaxOpenConns: starvePool})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(cleanup)
			generateEvents(t, b.store, starveEvents)
			srv := httptest.NewUnstartedServer(b.server.Config.Handler)
			srv.Listener = smallBufferListener{srv.Listener}
			srv.Start()
			t.Cleanup(srv.Close)
			addr := strings.TrimPrefix(srv.URL, "http://")

			stop := make(chan struct{})
			var stopOnce sync.Once
			t.Cleanup(func() { stopOnce.Do(func() { close(stop) }) })
			exports := make([]*slowExport, starveExports)
			for i := range exports {
				exports[i] = startSlowExport(t, addr, "/v1/events.csv?timeline=generated", stop)
			}

			client := &http.Client{Timeout: starveClientMax}
			for _, path := range []string{"/v1/events?limit=1", "/v1/events/csto-2002-activation", "/v1/years",
				"/v1/facets?year=2019", "/v1/actors", "/v1/events?timeline=generated&count=true&limit=5", "/readyz", "/healthz"} {
				res, err := client.Get(srv.URL + path)
				if err != nil {
					t.Errorf("GET %s while %d exports crawl: %v", path, starveExports, err)
					continue
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					t.Errorf("GET %s while %d exports crawl: got %d, want 200", path, starveExports, res.StatusCode)
				}
			}

			var streaming, refused int
			for i, x := range exports {
				switch x.status {
				case http.StatusOK:
					streaming++
					select {
					case err := <-x.done:
						t.Errorf("export %d stopped before the other requests were done: %v", i, err)
					default:
					}
				case http.StatusServiceUnavailable:
					refused++
					if x.header.Get("Retry-After") == "" || x.header.Get("Content-Type") != "application/problem+json" {
						t.Errorf("export %d: got 503 with Retry-After %q, Content-Type %q; want a problem with Retry-After",
							i, x.header.Get("Retry-After"), x.header.Get("Content-Type"))
					}
				default:
					err := errors.New("no answer")
					select {
					case err = <-x.done:
					default:
					}
					t.Errorf("export %d: got status %d (%v), want 200 or 503", i, x.status, err)
				}
			}
			t.Logf("%d exports streaming, %d refused, pool of %d connections", streaming, refused, starvePool)
			if streaming == 0 || streaming >= starvePool {
				t.Errorf("got %d exports streaming at once, want at least 1 and fewer than the pool's %d connections",
					streaming, starvePool)
			}
			stopOnce.Do(func() { close(stop) })
			// A refused client may export again once the others are done.
			for _, x := range exports {
				x.conn.Close()
			}
			var again *http.Response
			for range 50 {
				again, err = client.Get(srv.URL + "/v1/events.csv?year=2019")
				if err == nil {
					_, _ = io.Copy(io.Discard, again.Body)
					again.Body.Close()
					if again.StatusCode == http.StatusOK {
						break
					}
				}
				time.Sleep(100 * time.Millisecond)
			}
			if again == nil || again.StatusCode != http.StatusOK {
				t.Errorf("an export after the slow ones were closed: got %v, %v; want 200", again, err)
			}
		})
	}
}
