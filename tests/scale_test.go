package tests

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// How long the scale test waits for the read router to notice a change.
const (
	scaleNoticeLimit = 10 * time.Second // a stopped replica out of rotation, a restarted one back
	scaleETagLimit   = 10 * time.Second // a write on A changes B's ETag
)

// TestScaleReplicas runs the real topology of "Scaling out": a primary and
// a streaming replica built with initdb, pg_basebackup -R and pg_ctl, a
// PgBouncer (transaction pooling) in front of each, and two instances of
// the binary reading from the replica. It needs the PostgreSQL server
// binaries and pgbouncer; it skips without them, and fails under CI=true.
func TestScaleReplicas(t *testing.T) {
	scalePgBouncerBin(t)
	primary := faultNewCluster(t)
	primary.createDB(t, "timeline")
	replica := scaleNewReplica(t, primary)
	primaryPool := scaleStartPgBouncer(t, primary)
	replicaPool := scaleStartPgBouncer(t, replica)
	replicaName := "127.0.0.1:" + replicaPool
	pooled := func(port string) string {
		return "postgres://postgres@127.0.0.1:" + port + "/timeline?sslmode=disable"
	}

	bin := faultBuild(t)
	// Migrations and the seed go straight to the primary, as an operator's
	// one-shot job would; the instances go through PgBouncer.
	faultRunCommand(t, bin, "migrate", "DATABASE_URL="+primary.url("timeline"))
	faultRunCommand(t, bin, "seed", "DATABASE_URL="+primary.url("timeline"))
	key := durableKey(t, bin, "DATABASE_URL="+primary.url("timeline"))
	env := []string{"DATABASE_URL=" + pooled(primaryPool), "DATABASE_REPLICA_URLS=" + pooled(replicaPool),
		"REPLICA_CHECK_INTERVAL=250ms", "REPLICA_MAX_LAG=60s", "DB_QUERY_EXEC_MODE=exec"} // prepared statements fail behind PgBouncer
	a := faultStartService(t, bin, env...)
	b := faultStartService(t, bin, env...)
	client := &http.Client{Timeout: faultClientTimeout}
	// Reads without a token may lag the seed by up to REPLICA_MAX_LAG:
	// wait until the replica has replayed it before reading through it.
	scaleWaitCaughtUp(t, client, a.base, replicaName)
	event := "/v1/events/" + scaleFirstEventID(t, client, a.base)

	t.Run("reads served by the replica", func(t *testing.T) {
		for _, svc := range []*faultService{a, b} {
			scaleWaitInRotation(t, client, svc.base, replicaName, 1)
			before := scaleReads(t, client, svc.base)
			for _, path := range []string{"/v1/events?year=2019", event, "/v1/timelines", "/v1/events.csv?year=2019"} {
				if r := scaleGet(t, client, svc.base, path, nil); r.status != http.StatusOK {
					t.Fatalf("GET %s: got %d, want 200", path, r.status)
				}
			}
			after := scaleReads(t, client, svc.base)
			if got := after[replicaName] - before[replicaName]; got < 4 {
				t.Errorf("%s: replica reads grew by %v, want at least 4", svc.base, got)
			}
			if got := after["primary"] - before["primary"]; got != 0 {
				t.Errorf("%s: primary reads grew by %v, want 0", svc.base, got)
			}
		}
	})

	t.Run("token under paused replay", func(t *testing.T) {
		scaleExec(t, replica, "SELECT pg_wal_replay_pause()")
		defer scaleExec(t, replica, "SELECT pg_wal_replay_resume()")
		id := "scale-paused-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		writesBefore := scaleWrites(t, client, a.base)
		w := scalePost(t, client, a.base, key, id)
		if writesAfter := scaleWrites(t, client, a.base); writesAfter["primary"] == writesBefore["primary"] ||
			writesAfter[replicaName] != 0 {
			t.Errorf("POST: writes primary +%v, replica %v; want the primary only", writesAfter["primary"]-writesBefore["primary"],
				writesAfter[replicaName])
		}
		token := w.header.Get("Timeline-Consistency")
		if len(token) != 16 {
			t.Fatalf("POST: Timeline-Consistency = %q, want a 16-digit token", token)
		}
		for _, svc := range []*faultService{a, b} {
			before := scaleReads(t, client, svc.base)
			r := scaleGet(t, client, svc.base, "/v1/events/"+id, http.Header{"Timeline-Consistency": {token}})
			if r.status != http.StatusOK {
				t.Errorf("%s: GET with the token: got %d, want 200 (the write, from the primary)", svc.base, r.status)
			}
			mid := scaleReads(t, client, svc.base)
			if mid["primary"] == before["primary"] || mid[replicaName] != before[replicaName] {
				t.Errorf("%s: with the token, reads primary +%v replica +%v; want the primary only", svc.base,
					mid["primary"]-before["primary"], mid[replicaName]-before[replicaName])
			}
			r = scaleGet(t, client, svc.base, "/v1/events/"+id+"?consistency="+token, nil)
			if r.status != http.StatusOK {
				t.Errorf("%s: GET ?consistency=: got %d, want 200", svc.base, r.status)
			}
			mid = scaleReads(t, client, svc.base)
			r = scaleGet(t, client, svc.base, "/v1/events/"+id, nil)
			if r.status != http.StatusNotFound {
				t.Errorf("%s: GET without the token: got %d, want 404 (the paused replica has not replayed the write)",
					svc.base, r.status)
			}
			after := scaleReads(t, client, svc.base)
			if after[replicaName] == mid[replicaName] || after["primary"] != mid["primary"] {
				t.Errorf("%s: without the token, reads primary +%v replica +%v; want the replica only", svc.base,
					after["primary"]-mid["primary"], after[replicaName]-mid[replicaName])
			}
		}
		if r := scaleGet(t, client, a.base, "/v1/events/"+id, http.Header{"Timeline-Consistency": {"not-a-token"}}); r.status != http.StatusBadRequest {
			t.Errorf("GET with a malformed token: got %d, want 400", r.status)
		}
	})

	t.Run("lag past REPLICA_MAX_LAG out of rotation and back", func(t *testing.T) {
		// An instance that tolerates one second of lag, next to A, which
		// tolerates 60.
		c := faultStartService(t, bin, append(env[:len(env):len(env)], "REPLICA_MAX_LAG=1s")...)
		scaleWaitCaughtUp(t, client, c.base, replicaName)
		scaleExec(t, replica, "SELECT pg_wal_replay_pause()")
		resumed := false
		defer func() {
			if !resumed {
				scaleExec(t, replica, "SELECT pg_wal_replay_resume()")
			}
		}()
		scalePost(t, client, a.base, key, "scale-lag-"+strconv.FormatInt(time.Now().UnixNano(), 36))
		// Out for its lag, not for a slow answer to a check: both gauges.
		start := time.Now()
		for {
			in := scaleMetrics(t, client, c.base, "timeline_db_replica_in_rotation")[replicaName]
			lag := scaleMetrics(t, client, c.base, "timeline_db_replica_lag_seconds")[replicaName]
			if in == 0 && lag >= 1 {
				t.Logf("%s: replica out of rotation with lag %.1f s after %v", c.base, lag, time.Since(start).Round(time.Millisecond))
				break
			}
			if time.Since(start) > scaleNoticeLimit {
				t.Fatalf("%s: replica in rotation = %v, lag %v s after %v; want 0 and at least 1 s (REPLICA_MAX_LAG=1s)",
					c.base, in, lag, scaleNoticeLimit)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if in := scaleMetrics(t, client, a.base, "timeline_db_replica_in_rotation")[replicaName]; in != 1 {
			t.Errorf("%s (REPLICA_MAX_LAG=60s): replica in rotation = %v, want 1", a.base, in)
		}
		before := scaleReads(t, client, c.base)
		if r := scaleGet(t, client, c.base, event, nil); r.status != http.StatusOK {
			t.Fatalf("GET %s: got %d, want 200", event, r.status)
		}
		after := scaleReads(t, client, c.base)
		if after["primary"] == before["primary"] || after[replicaName] != before[replicaName] {
			t.Errorf("%s: with the replica lagging, reads primary +%v replica +%v; want the primary only", c.base,
				after["primary"]-before["primary"], after[replicaName]-before[replicaName])
		}
		scaleExec(t, replica, "SELECT pg_wal_replay_resume()")
		resumed = true
		scaleWaitCaughtUp(t, client, c.base, replicaName)
	})

	t.Run("long-poll woken by a write answers at once", func(t *testing.T) {
		const wait = 20 * time.Second
		scaleWaitCaughtUp(t, client, a.base, replicaName)
		head := "/v1/changes?limit=1000"
		for {
			page, err := fetchFeed(client, a.base, head)
			if err != nil {
				t.Fatal(err)
			}
			head = page.Links.Next
			if !page.HasMore {
				break
			}
		}
		type answer struct {
			page feedPage
			err  error
			took time.Duration
		}
		got := make(chan answer, 1)
		long := &http.Client{Timeout: wait + 10*time.Second}
		go func() {
			start := time.Now()
			page, err := fetchFeed(long, a.base, head+"&wait="+strconv.Itoa(int(wait.Seconds())))
			got <- answer{page, err, time.Since(start)}
		}()
		time.Sleep(300 * time.Millisecond) // let the reader start waiting
		id := "scale-feed-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		scalePost(t, client, a.base, key, id)
		r := <-got
		if r.err != nil {
			t.Fatal(r.err)
		}
		if len(r.page.Changes) != 1 || r.page.Changes[0].ID != id {
			t.Fatalf("long-poll: got %+v, want the creation of %s", r.page.Changes, id)
		}
		if r.took > wait/2 {
			t.Errorf("long-poll woken by a write on its own instance answered after %v of its %v wait, want at once",
				r.took.Round(time.Millisecond), wait)
		}
	})

	t.Run("write on A changes the ETag B serves", func(t *testing.T) {
		const list = "/v1/events?year=2019"
		scaleWaitCaughtUp(t, client, b.base, replicaName)
		ra := scaleGet(t, client, a.base, list, nil)
		etag := ra.header.Get("ETag")
		if etag == "" {
			t.Fatal("A sent no ETag")
		}
		if r := scaleGet(t, client, b.base, list, http.Header{"If-None-Match": {etag}}); r.status != http.StatusNotModified {
			t.Fatalf("B with A's ETag: got %d, want 304", r.status)
		}
		scalePost(t, client, a.base, key, "scale-etag-"+strconv.FormatInt(time.Now().UnixNano(), 36))
		deadline := time.Now().Add(scaleETagLimit)
		for {
			r := scaleGet(t, client, b.base, list, http.Header{"If-None-Match": {etag}})
			if r.status == http.StatusOK && r.header.Get("ETag") != etag {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("B still answers %d to the old ETag %v after the write on A", r.status, scaleETagLimit)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("replica stopped and restarted under read load", func(t *testing.T) {
		loadA, loadB := faultStartLoad(t, a.base), faultStartLoad(t, b.base)
		// An instance whose health checker will not look again for an
		// hour: only a failed read can take the replica out.
		d := faultStartService(t, bin, append(env[:len(env):len(env)], "REPLICA_CHECK_INTERVAL=1h")...)
		scaleWaitInRotation(t, client, d.base, replicaName, 1)
		loadA.waitForSamples(t, 20)
		loadB.waitForSamples(t, 20)
		replica.stop(t, "fast")
		before := scaleReads(t, client, d.base)
		if r := scaleGet(t, client, d.base, event, nil); r.status != http.StatusOK {
			t.Errorf("%s: GET %s on the stopped replica: got %d, want 200 (retried on the primary): %s",
				d.base, event, r.status, r.body)
		}
		after := scaleReads(t, client, d.base)
		if after[replicaName] == before[replicaName] || after["primary"] == before["primary"] {
			t.Errorf("%s: reads primary +%v replica +%v; want a failed one on the replica, then the primary", d.base,
				after["primary"]-before["primary"], after[replicaName]-before[replicaName])
		}
		if in := scaleMetrics(t, client, d.base, "timeline_db_replica_in_rotation")[replicaName]; in != 0 {
			t.Errorf("%s: replica in rotation = %v after a failed read, want 0", d.base, in)
		}
		for _, svc := range []*faultService{a, b} {
			scaleWaitInRotation(t, client, svc.base, replicaName, 0)
			before, after := scaleReadsGrow(t, client, svc.base, "primary")
			if after["primary"] == before["primary"] || after[replicaName] != before[replicaName] {
				t.Errorf("%s: with the replica down, reads primary +%v replica +%v; want the primary only", svc.base,
					after["primary"]-before["primary"], after[replicaName]-before[replicaName])
			}
		}
		replica.start(t)
		for _, svc := range []*faultService{a, b} {
			scaleWaitInRotation(t, client, svc.base, replicaName, 1)
			if before, after := scaleReadsGrow(t, client, svc.base, replicaName); after[replicaName] == before[replicaName] {
				t.Errorf("%s: the restarted replica took no reads", svc.base)
			}
		}
		samples := append(loadA.stop(), loadB.stop()...)
		var bad []faultSample
		for _, s := range samples {
			if s.err != nil || s.status != http.StatusOK {
				bad = append(bad, s)
			}
		}
		if len(bad) > 0 {
			t.Errorf("%d of %d requests under load failed, first: %s; want every one 200", len(bad), len(samples), bad[0])
			for _, svc := range []*faultService{a, b} {
				scaleLogWarnings(t, svc)
			}
		} else {
			t.Logf("%d requests under load, all 200 across the replica's stop and restart", len(samples))
		}
	})
}

// scaleFirstEventID returns the id of the first event of 2019.
func scaleFirstEventID(t *testing.T, client *http.Client, base string) string {
	t.Helper()
	r := scaleGet(t, client, base, "/v1/events?year=2019&limit=1", nil)
	var page struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.body, &page); err != nil || len(page.Data) == 0 {
		t.Fatalf("GET /v1/events?year=2019&limit=1: %d %s", r.status, r.body)
	}
	return page.Data[0].ID
}

// scaleLogWarnings shows the warnings and errors a service logged.
func scaleLogWarnings(t *testing.T, svc *faultService) {
	t.Helper()
	b, err := os.ReadFile(svc.log)
	if err != nil {
		t.Log(err)
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, `"level":"WARN"`) || strings.Contains(line, `"level":"ERROR"`) {
			t.Logf("%s: %s", svc.base, line)
		}
	}
}

// scaleResponse is what the test keeps of a response.
type scaleResponse struct {
	status int
	header http.Header
	body   []byte
}

func scaleGet(t *testing.T, client *http.Client, base, path string, h http.Header) scaleResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	return scaleDo(t, client, req)
}

func scaleDo(t *testing.T, client *http.Client, req *http.Request) scaleResponse {
	t.Helper()
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return scaleResponse{status: res.StatusCode, header: res.Header, body: body}
}

// scalePost creates event id through base and fails unless it is created.
func scalePost(t *testing.T, client *http.Client, base, key, id string) scaleResponse {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/v1/events", strings.NewReader(binaryEventBody(id, "Scale "+id)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", jsonType)
	r := scaleDo(t, client, req)
	if r.status != http.StatusCreated {
		t.Fatalf("POST /v1/events: got %d, want 201: %s", r.status, r.body)
	}
	return r
}

// scaleMetrics reads one instance's metrics: each series of the named
// metric, keyed by its label values joined with "|".
func scaleMetrics(t *testing.T, client *http.Client, base, metric string) map[string]float64 {
	t.Helper()
	r := scaleGet(t, client, base, "/metrics", nil)
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(string(r.body)))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, metric+"{") {
			continue
		}
		labels, value, _ := strings.Cut(line[len(metric)+1:], "} ")
		// Prometheus sorts labels by name; the key keeps that order.
		var vals []string
		for _, kv := range strings.Split(labels, ",") {
			_, v, _ := strings.Cut(kv, "=")
			vals = append(vals, strings.Trim(v, `"`))
		}
		f, err := strconv.ParseFloat(value, 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", line, err)
		}
		out[strings.Join(vals, "|")] = f
	}
	return out
}

// scaleReads returns the reads each target has served, by target name.
func scaleReads(t *testing.T, client *http.Client, base string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for k, v := range scaleMetrics(t, client, base, "timeline_db_statements_total") {
		if name, ok := strings.CutPrefix(k, "read|"); ok { // kind, target
			out[name] = v
		}
	}
	return out
}

// scaleReadsGrow samples the reads by target before and after the load
// has sent target some, waiting up to 10 s: on a busy machine the load's
// requests in flight when a replica stopped may hold every client for a
// while (PgBouncer retrying its login) before they are retried.
func scaleReadsGrow(t *testing.T, client *http.Client, base, target string) (before, after map[string]float64) {
	t.Helper()
	before = scaleReads(t, client, base)
	for deadline := time.Now().Add(10 * time.Second); ; {
		time.Sleep(250 * time.Millisecond)
		after = scaleReads(t, client, base)
		if after[target] != before[target] || time.Now().After(deadline) {
			return before, after
		}
	}
}

// scaleWrites returns the writes sent to each target, by target name.
func scaleWrites(t *testing.T, client *http.Client, base string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for k, v := range scaleMetrics(t, client, base, "timeline_db_statements_total") {
		if name, ok := strings.CutPrefix(k, "write|"); ok { // kind, target
			out[name] = v
		}
	}
	return out
}

// scaleWaitInRotation waits until the instance reports the replica's
// in-rotation gauge at want.
func scaleWaitInRotation(t *testing.T, client *http.Client, base, replica string, want float64) {
	t.Helper()
	start := time.Now()
	for time.Since(start) < scaleNoticeLimit {
		if got, ok := scaleMetrics(t, client, base, "timeline_db_replica_in_rotation")[replica]; ok && got == want {
			t.Logf("%s: replica in rotation = %v after %v", base, want, time.Since(start).Round(time.Millisecond))
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: replica %s in rotation is not %v after %v", base, replica, want, scaleNoticeLimit)
}

// scaleWaitCaughtUp waits until the instance reports the replica in
// rotation with no lag.
func scaleWaitCaughtUp(t *testing.T, client *http.Client, base, replica string) {
	t.Helper()
	scaleWaitInRotation(t, client, base, replica, 1)
	for start := time.Now(); time.Since(start) < scaleNoticeLimit; time.Sleep(100 * time.Millisecond) {
		if scaleMetrics(t, client, base, "timeline_db_replica_lag_seconds")[replica] == 0 {
			return
		}
	}
	t.Fatalf("%s: replica %s still lags after %v", base, replica, scaleNoticeLimit)
}

// scaleExec runs one statement on a cluster, over a connection of its own.
func scaleExec(t *testing.T, c *faultCluster, stmt string) {
	t.Helper()
	db, err := gorm.Open(postgres.Open(c.url("postgres")), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	}()
	if err := db.Exec(stmt).Error; err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

// scalePgBouncerBin finds pgbouncer, skipping (or failing under CI=true)
// without it.
func scalePgBouncerBin(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("pgbouncer"); err == nil {
		return p
	}
	if faultIsExec("/usr/sbin/pgbouncer") {
		return "/usr/sbin/pgbouncer"
	}
	faultSkipOrFail(t, "the scale test needs pgbouncer (Debian: apt-get install pgbouncer) and found none in the PATH or /usr/sbin")
	return ""
}

// scaleNewReplica makes a streaming replica of primary with
// pg_basebackup -R and starts it on a free port.
func scaleNewReplica(t *testing.T, primary *faultCluster) *faultCluster {
	t.Helper()
	c := &faultCluster{bin: primary.bin, port: faultFreePort(t), runAs: primary.runAs}
	var err error
	if c.dir, err = os.MkdirTemp("", "timeline-scale-replica-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(c.dir) })
	scaleChown(t, c.dir, c.runAs)
	data := filepath.Join(c.dir, "data")
	c.run(t, "pg_basebackup", "-h", "127.0.0.1", "-p", primary.port, "-U", "postgres", "-D", data, "-R",
		"-X", "stream", "-c", "fast", "--no-sync")
	conf := fmt.Sprintf("\nport = %s\nunix_socket_directories = '%s'\nhot_standby = on\n", c.port, c.dir)
	scaleAppend(t, filepath.Join(data, "postgresql.conf"), conf)
	t.Cleanup(func() {
		if t.Failed() {
			if b, err := os.ReadFile(filepath.Join(c.dir, "postgres.log")); err == nil {
				t.Logf("replica log (last 3 KB):\n%s", faultTail(b, 3<<10))
			}
		}
		_ = c.pgctl("stop", "-m", "immediate")
	})
	c.start(t)
	return c
}

// scaleStartPgBouncer runs a PgBouncer of the test's own, in transaction
// pooling mode, in front of cluster c, and returns its port. It is run as
// the cluster's owner (PgBouncer refuses root) with a temporary
// configuration, never the system's service.
func scaleStartPgBouncer(t *testing.T, c *faultCluster) string {
	t.Helper()
	bin := scalePgBouncerBin(t)
	port := faultFreePort(t)
	dir := filepath.Join(c.dir, "pgbouncer-"+port)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	scaleChown(t, dir, c.runAs)
	// statement_timeout is sent at connect by the service, and PgBouncer
	// refuses startup parameters it does not know unless told to ignore
	// them (see README, "Scaling out"). query_wait_timeout bounds how long
	// a client waits for a server connection that cannot be made.
	ini := fmt.Sprintf(`[databases]
* = host=127.0.0.1 port=%s
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %s
unix_socket_dir =
auth_type = trust
auth_file = %s/userlist.txt
pool_mode = transaction
max_client_conn = 200
default_pool_size = 20
ignore_startup_parameters = extra_float_digits,statement_timeout,max_parallel_workers_per_gather
server_login_retry = 1
query_wait_timeout = 5
logfile = %s/pgbouncer.log
`, c.port, port, dir, dir)
	scaleAppend(t, filepath.Join(dir, "pgbouncer.ini"), ini)
	scaleAppend(t, filepath.Join(dir, "userlist.txt"), `"postgres" ""`+"\n")
	cmd := exec.Command(bin, filepath.Join(dir, "pgbouncer.ini"))
	cmd.Dir = dir
	if c.runAs != "" {
		u, err := user.Lookup(c.runAs)
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	out, err := os.Create(filepath.Join(t.TempDir(), "pgbouncer.out"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		out.Close()
		if t.Failed() {
			if b, err := os.ReadFile(filepath.Join(dir, "pgbouncer.log")); err == nil {
				t.Logf("pgbouncer log (last 2 KB):\n%s", faultTail(b, 2<<10))
			}
		}
	})
	dsn := "postgres://postgres@127.0.0.1:" + port + "/postgres?sslmode=disable&default_query_exec_mode=exec"
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{Logger: logger.Discard})
		if err == nil {
			err = db.Exec("SELECT 1").Error
			if sqlDB, derr := db.DB(); derr == nil {
				sqlDB.Close()
			}
		}
		if err == nil {
			return port
		}
		select {
		case <-done:
			b, _ := os.ReadFile(out.Name())
			t.Fatalf("pgbouncer exited at start: %s", b)
		default:
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("pgbouncer on port %s did not answer within 10s: %v", port, err)
		}
	}
}

func scaleChown(t *testing.T, path, owner string) {
	t.Helper()
	if owner == "" {
		return
	}
	u, err := user.Lookup(owner)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(path, uid, gid); err != nil {
		t.Fatal(err)
	}
}

func scaleAppend(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString(text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}
