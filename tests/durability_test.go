package tests

// Durability: an acknowledged write survives a crash. The real binary
// takes writes under load while its database is crashed under it
// (PostgreSQL stopped with pg_ctl stop -m immediate) or it is itself
// killed (SIGKILL, on the embedded SQLite file); afterwards every write
// that got a 2xx is there, with its revision, and nothing is there that
// was never sent.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/csto-timeline/timeline/models"
)

// durableWorkers is how many clients write at once; at most this many
// writes can be in flight when the crash comes.
const durableWorkers = 6

// durableLoad posts events with ids of its own until stopped, recording
// what it sent and what was acknowledged.
type durableLoad struct {
	mu       sync.Mutex
	sent     map[string]bool
	acked    map[string]bool
	ackCount atomic.Int64
	stopped  atomic.Bool
	wg       sync.WaitGroup
}

func durableStart(base, key string) *durableLoad {
	l := &durableLoad{sent: map[string]bool{}, acked: map[string]bool{}}
	client := &http.Client{Timeout: 5 * time.Second}
	for w := range durableWorkers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; !l.stopped.Load() && i < 20000; i++ {
				id := fmt.Sprintf("dur-%d-%d", w, i)
				l.mu.Lock()
				l.sent[id] = true
				l.mu.Unlock()
				req, _ := http.NewRequest("POST", base+"/v1/events", strings.NewReader(binaryEventBody(id, "Durable "+id)))
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("Content-Type", jsonType)
				res, err := client.Do(req)
				if err != nil {
					time.Sleep(20 * time.Millisecond) // the server is down: do not spin
					continue
				}
				res.Body.Close()
				if res.StatusCode == http.StatusCreated {
					l.mu.Lock()
					l.acked[id] = true
					l.mu.Unlock()
					l.ackCount.Add(1)
				} else {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	return l
}

func (l *durableLoad) waitAcked(t *testing.T, n int64, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for l.ackCount.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d writes acknowledged within %v, want %d", l.ackCount.Load(), limit, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (l *durableLoad) stop() {
	l.stopped.Store(true)
	l.wg.Wait()
}

// durableCheck compares what the database holds with what was sent and
// acknowledged: every acknowledged event is there, with exactly one
// revision; nothing is there that was not sent; and at most the writes in
// flight at the crash are there without an acknowledgement.
func durableCheck(t *testing.T, store *models.Store, l *durableLoad) {
	t.Helper()
	var present, revised []string
	db := store.DB()
	if err := db.Raw("SELECT id FROM events WHERE id LIKE 'dur-%'").Scan(&present).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Raw("SELECT event_id FROM event_revisions WHERE event_id LIKE 'dur-%' GROUP BY event_id HAVING count(*) = 1").
		Scan(&revised).Error; err != nil {
		t.Fatal(err)
	}
	have, withRevision := map[string]bool{}, map[string]bool{}
	for _, id := range present {
		have[id] = true
	}
	for _, id := range revised {
		withRevision[id] = true
	}
	missing, unsent, unacked := 0, 0, 0
	for id := range l.acked {
		if !have[id] {
			missing++
			if missing <= 5 {
				t.Errorf("acknowledged write %s is missing after the crash", id)
			}
		}
	}
	for id := range have {
		if !l.sent[id] {
			unsent++
			t.Errorf("event %s is present but was never sent", id)
		}
		if !l.acked[id] {
			unacked++
		}
		if !withRevision[id] {
			t.Errorf("event %s has no single revision: the write was not atomic", id)
		}
	}
	if len(revised) != len(present) {
		t.Errorf("got %d events with one revision and %d events: revisions without events", len(revised), len(present))
	}
	if unacked > 2*durableWorkers {
		t.Errorf("got %d events present without a 2xx, want at most the %d writes in flight at the crash (twice, for the retry after restart)",
			unacked, 2*durableWorkers)
	}
	t.Logf("sent %d, acknowledged %d, present %d (present without a 2xx: %d, in flight at the crash), missing %d",
		len(l.sent), len(l.acked), len(present), unacked, missing)
}

// durableKey makes an API key with the binary's own command.
func durableKey(t *testing.T, bin string, env ...string) string {
	t.Helper()
	cmd := exec.Command(bin, "keys", "create", "--name", "durability", "--scope", "events:write")
	cmd.Env = append([]string{"LOG_LEVEL=warn"}, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("timeline keys create: %v\n%s", err, out)
	}
	key, _, _ := strings.Cut(string(out), "\n")
	if !strings.HasPrefix(key, "tlk_") {
		t.Fatalf("timeline keys create printed %q, want a key first", out)
	}
	return key
}

// TestDurabilityPostgresCrash crashes PostgreSQL (pg_ctl stop -m
// immediate) under write load, restarts it, and checks the writes. The
// cluster commits synchronously (synchronous_commit = on, the default the
// fault cluster turns off); fsync stays off, which is safe here because
// only the server's processes die, not the machine.
func TestDurabilityPostgresCrash(t *testing.T) {
	c := faultNewCluster(t)
	f, err := os.OpenFile(filepath.Join(c.dir, "data", "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString("\nsynchronous_commit = on\n")
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	c.stop(t, "fast")
	c.start(t)
	name := uniqueName()
	dsn := c.createDB(t, name)
	bin := faultBuild(t)
	faultRunCommand(t, bin, "migrate", "DATABASE_URL="+dsn)
	faultRunCommand(t, bin, "seed", "DATABASE_URL="+dsn)
	key := durableKey(t, bin, "DATABASE_URL="+dsn)
	svc := faultStartService(t, bin, "DATABASE_URL="+dsn, "WRITE_RATE_LIMIT_RPS=0")

	load := durableStart(svc.base, key)
	load.waitAcked(t, 100, time.Minute)
	c.stop(t, "immediate")
	crashedAt := load.ackCount.Load()
	time.Sleep(500 * time.Millisecond)
	c.start(t)
	load.waitAcked(t, crashedAt+50, time.Minute) // the service writes again without a restart
	load.stop()

	store, err := models.Open(context.Background(), models.Config{DatabaseURL: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	durableCheck(t, store, load)
}

// TestDurabilitySQLiteKill kills the serving process (SIGKILL) under write
// load on the embedded SQLite file and checks the writes. The file is in
// WAL mode with synchronous=NORMAL: a commit is in the WAL, in the
// operating system's hands, before it is acknowledged, so it survives the
// process dying (not a power cut, for which synchronous=FULL would be
// needed).
func TestDurabilitySQLiteKill(t *testing.T) {
	if raceEnabled {
		t.Skip("the embedded SQLite driver is too slow under the race detector for a write load")
	}
	bin := faultBuild(t)
	path := filepath.Join(t.TempDir(), "durable.db")
	key := durableKey(t, bin, "SQLITE_PATH="+path)
	svc := faultStartService(t, bin, "SQLITE_PATH="+path, "WRITE_RATE_LIMIT_RPS=0")

	load := durableStart(svc.base, key)
	load.waitAcked(t, 100, time.Minute)
	if err := svc.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	svc.wait(t, 10*time.Second)
	load.stop()

	store, err := models.Open(context.Background(), models.Config{SQLitePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var ok string
	if err := store.DB().Raw("PRAGMA integrity_check").Scan(&ok).Error; err != nil || ok != "ok" {
		t.Errorf("integrity_check: got %q, %v; want ok", ok, err)
	}
	durableCheck(t, store, load)
}
