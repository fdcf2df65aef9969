package tests

import (
	"context"
	"testing"
	"time"

	"github.com/csto-timeline/timeline/models"
	"github.com/csto-timeline/timeline/seed"
)

// TestListenThroughPgBouncer: behind PgBouncer in transaction pooling a
// LISTEN succeeds but hears nothing, so without DATABASE_LISTEN_URL a
// waiter of one instance is not woken by another instance's write (its
// long-poll answers when its wait runs out; README, "Scaling out"); with
// a direct listen URL it is.
func TestListenThroughPgBouncer(t *testing.T) {
	scalePgBouncerBin(t)
	primary := faultNewCluster(t)
	primary.createDB(t, "timeline")
	pool := scaleStartPgBouncer(t, primary)
	pooled := "postgres://postgres@127.0.0.1:" + pool + "/timeline?sslmode=disable"
	direct := primary.url("timeline")
	ctx := context.Background()
	// Behind PgBouncer in transaction pooling, statements are not
	// prepared (DB_QUERY_EXEC_MODE=exec, as the README says): a prepared
	// statement lives on one server connection and the next transaction
	// may get another.
	open := func(cfg models.Config) *models.Store {
		t.Helper()
		if cfg.DatabaseURL == pooled {
			cfg.QueryExecMode = "exec"
		}
		s, err := models.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	admin := open(models.Config{DatabaseURL: direct})
	if _, err := admin.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Load(ctx, admin, seed.CSTO); err != nil {
		t.Fatal(err)
	}
	writer := open(models.Config{DatabaseURL: pooled})
	write := func(id string) {
		t.Helper()
		if _, _, err := writer.CreateEvent(ctx, feedDoc(id, "Through PgBouncer"), models.WriteMeta{KeyID: "test"}); err != nil {
			t.Fatal(err)
		}
	}
	woken := func(s *models.Store, id string, within time.Duration) bool {
		t.Helper()
		signal, done := s.SubscribeChanges(ctx)
		defer done()
		write(id)
		select {
		case <-signal:
			return true
		case <-time.After(within):
			return false
		}
	}

	// Without a listen URL: the LISTEN went through PgBouncer and hears
	// nothing of the other store's write.
	if woken(open(models.Config{DatabaseURL: pooled}), "pgbouncer-unheard", 3*time.Second) {
		t.Error("without DATABASE_LISTEN_URL: a waiter behind PgBouncer was woken by another instance's write; " +
			"the README says it is not (update it if PgBouncer now passes notifications on)")
	}
	// With one: the listening connection goes to PostgreSQL itself.
	if !woken(open(models.Config{DatabaseURL: pooled, ListenURL: direct}), "pgbouncer-heard", 30*time.Second) {
		t.Error("with DATABASE_LISTEN_URL: a waiter was not woken by another instance's write")
	}
}
