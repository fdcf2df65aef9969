package tests

// Start-up as operators meet it: several processes writing a new database
// at once, and the messages of a start that cannot succeed.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/csto-timeline/timeline/models"
	"github.com/csto-timeline/timeline/seed"
)

// startupRuns is how many processes race in each case.
const startupRuns = 4

// runConcurrently runs the binary's subcommand startupRuns times at once,
// each with env, and returns each run's error and output.
func runConcurrently(t *testing.T, bin, sub string, env ...string) ([]error, []string) {
	t.Helper()
	errs, outs := make([]error, startupRuns), make([]string, startupRuns)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range startupRuns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, sub)
			cmd.Env = append([]string{"LOG_LEVEL=warn"}, env...)
			<-start
			out, err := cmd.CombinedOutput()
			errs[i], outs[i] = err, string(out)
		}()
	}
	close(start)
	wg.Wait()
	return errs, outs
}

// wantSeededOnce checks that db holds the seed exactly once.
func wantSeededOnce(t *testing.T, db *gorm.DB) {
	t.Helper()
	var events, sources, citations, distinct int64
	db.Raw("SELECT count(*) FROM events").Scan(&events)
	db.Raw("SELECT count(*) FROM sources").Scan(&sources)
	db.Raw("SELECT count(*) FROM citations").Scan(&citations)
	db.Raw("SELECT count(DISTINCT event_id || '/' || position) FROM citations").Scan(&distinct)
	f, err := seed.Parse(seed.CSTO)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(len(f.Events)); events != want || sources != 1 || citations == 0 || citations != distinct {
		t.Errorf("after the concurrent runs: got %d events, %d sources, %d citations (%d distinct); want %d, 1, no duplicates",
			events, sources, citations, distinct, want)
	}
}

// TestConcurrentSeedsSQLite runs several `seed` at once on a new SQLite
// file (each migrates it first): every one succeeds and the data is there
// once.
func TestConcurrentSeedsSQLite(t *testing.T) {
	bin := faultBuild(t)
	path := filepath.Join(t.TempDir(), "race.db")
	errs, outs := runConcurrently(t, bin, "seed", "SQLITE_PATH="+path)
	for i, err := range errs {
		if err != nil {
			t.Errorf("seed %d: %v\n%s", i, err, outs[i])
		}
	}
	store, err := models.Open(context.Background(), models.Config{SQLitePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	wantSeededOnce(t, store.DB())
}

// TestConcurrentSeedsPostgres runs several `seed` at once on a migrated,
// empty PostgreSQL database: every one succeeds and the data is there
// once.
func TestConcurrentSeedsPostgres(t *testing.T) {
	if pgAdminURL == "" {
		t.Skip("PostgreSQL skipped: " + pgSkipWhy)
	}
	bin := faultBuild(t)
	dsn, drop, err := createPostgresDB(context.Background(), uniqueName())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop)
	faultRunCommand(t, bin, "migrate", "DATABASE_URL="+dsn)
	errs, outs := runConcurrently(t, bin, "seed", "DATABASE_URL="+dsn)
	for i, err := range errs {
		if err != nil {
			t.Errorf("seed %d: %v\n%s", i, err, outs[i])
		}
	}
	db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, _ := db.DB()
	defer sqlDB.Close()
	wantSeededOnce(t, db)
}

// TestConcurrentServeNewSQLite starts several `serve` at once on a new
// SQLite file: each migrates and seeds it, and every one comes up ready.
func TestConcurrentServeNewSQLite(t *testing.T) {
	bin := faultBuild(t)
	path := filepath.Join(t.TempDir(), "serve.db")
	type proc struct {
		cmd  *exec.Cmd
		base string
		out  *strings.Builder
		done chan struct{}
	}
	var procs []*proc
	for range startupRuns {
		addr := "127.0.0.1:" + faultFreePort(t)
		p := &proc{base: "http://" + addr, out: &strings.Builder{}, done: make(chan struct{})}
		p.cmd = exec.Command(bin)
		p.cmd.Env = []string{"ADDR=" + addr, "SQLITE_PATH=" + path, "LOG_LEVEL=warn", "RATE_LIMIT_RPS=0"}
		p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
		procs = append(procs, p)
	}
	for _, p := range procs {
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { _ = p.cmd.Wait(); close(p.done) }()
		t.Cleanup(func() {
			select {
			case <-p.done:
			default:
				_ = p.cmd.Process.Kill()
				<-p.done
			}
		})
	}
	client := &http.Client{Timeout: 5 * time.Second}
	for i, p := range procs {
		ready := false
		for range 300 {
			select {
			case <-p.done:
				t.Fatalf("serve %d exited at start: %v\n%s", i, p.cmd.ProcessState, p.out)
			default:
			}
			if res, err := client.Get(p.base + "/readyz"); err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					ready = true
					break
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		if !ready {
			t.Fatalf("serve %d was not ready within 30s", i)
		}
	}
	for i, p := range procs {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
			if code := p.cmd.ProcessState.ExitCode(); code != 0 {
				t.Errorf("serve %d exited %d after SIGTERM, want 0\n%s", i, code, p.out)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("serve %d did not exit after SIGTERM", i)
		}
	}
	store, err := models.Open(context.Background(), models.Config{SQLitePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	wantSeededOnce(t, store.DB())
}

// TestStartupMessagesNameTheCause: a start that cannot succeed says why in
// words an operator can act on, not in the driver's last fallback.
func TestStartupMessagesNameTheCause(t *testing.T) {
	bin := faultBuild(t)
	run := func(env ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "migrate")
		cmd.Env = append([]string{"LOG_LEVEL=warn"}, env...)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Fatalf("%v: migrate succeeded, want a failure\n%s", env, out)
		}
		return string(out)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		env       string
		want      []string
		wantNot   []string
		needsRoot bool
	}{
		{env: "SQLITE_PATH=" + filepath.Join(dir, "no", "such", "dir", "t.db"),
			want: []string{"SQLITE_PATH", "does not exist"}, wantNot: []string{"out of memory"}},
		{env: "SQLITE_PATH=" + filepath.Join(file, "t.db"),
			want: []string{"SQLITE_PATH", "not a directory"}, wantNot: []string{"out of memory"}},
		{env: "SQLITE_PATH=" + dir,
			want: []string{"SQLITE_PATH", "is a directory"}, wantNot: []string{"out of memory"}},
	}
	if pgAdminURL != "" {
		u := strings.Replace(pgAdminURL, "/postgres?", "/timeline_no_such_db_"+fmt.Sprint(os.Getpid())+"?", 1)
		cases = append(cases, struct {
			env       string
			want      []string
			wantNot   []string
			needsRoot bool
		}{env: "DATABASE_URL=" + strings.Replace(u, "sslmode=disable", "sslmode=prefer", 1),
			want:    []string{`PostgreSQL database "timeline_no_such_db`, "does not exist; create it (createdb"},
			wantNot: []string{"tls error"}})
	}
	for _, c := range cases {
		out := run(c.env)
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: got %q, want it to say %q", c.env, strings.TrimSpace(out), w)
			}
		}
		for _, w := range c.wantNot {
			if strings.Contains(out, w) {
				t.Errorf("%s: got %q, which says %q", c.env, strings.TrimSpace(out), w)
			}
		}
	}
}
