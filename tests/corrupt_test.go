package tests

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/csto-timeline/timeline/models"
)

// TestCorruptSQLiteIsUnavailable damages the SQLite file under a serving
// store: data routes answer a 503 problem with Retry-After, never a 500,
// and /readyz turns 503 and says why.
func TestCorruptSQLiteIsUnavailable(t *testing.T) {
	// Connections that live a millisecond read the file afresh, as a
	// long-running server's do once its page caches turn over.
	b, cleanup, err := newBackendWith(context.Background(), models.DialectSQLite,
		models.Config{ConnMaxLifetime: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cleanup)
	b.get(t, "/v1/events/csto-2002-activation").wantStatus(t, http.StatusOK)
	b.get(t, "/readyz").wantStatus(t, http.StatusOK)

	// Everything into the main file, then every page after the file
	// header overwritten.
	if err := b.store.DB().Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error; err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(b.path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := f.Stat()
	garbage := []byte(strings.Repeat("\xa5\x5a\x00\xff", int(info.Size()-100)/4+1))
	if _, err := f.WriteAt(garbage[:info.Size()-100], 100); err != nil {
		t.Fatal(err)
	}
	f.Close()

	for _, path := range []string{"/v1/events/csto-2002-activation", "/v1/events?year=2019", "/v1/timelines", "/v1/facets"} {
		r := b.get(t, path)
		if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" ||
			r.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s on a corrupt file: got %d, Retry-After %q, %s; want a 503 problem with Retry-After",
				path, r.status, r.header.Get("Retry-After"), r.header.Get("Content-Type"))
		}
	}
	r := b.get(t, "/readyz")
	var p problemDoc
	if r.status == http.StatusServiceUnavailable {
		r.decode(t, &p)
	}
	if r.status != http.StatusServiceUnavailable || !strings.Contains(p.Detail, "corrupt") {
		t.Errorf("/readyz on a corrupt file: got %d %q, want 503 saying the file is corrupt", r.status, p.Detail)
	}
}
