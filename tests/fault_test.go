package tests

// The fault test runs the real binary against a PostgreSQL cluster of its
// own, in a temporary directory, and takes that cluster away under load:
// a fast shutdown, an immediate (crash-like) one, and pg_terminate_backend
// of the service's connections. Everything stays on 127.0.0.1.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/csto-timeline/timeline/tests/skipreport"
)

// The bars the service must clear, from the issue.
const (
	faultP99Limit      = 3 * time.Second  // p99 latency while PostgreSQL is down
	faultRecoveryLimit = 10 * time.Second // readyz and queries 200 again after it is back
	faultNoticeLimit   = 5 * time.Second  // readyz 503 after it went away
)

// The load: a few clients on loopback, each bounded in count and pace.
const (
	faultClients       = 4
	faultMaxPerClient  = 5000
	faultPace          = 10 * time.Millisecond
	faultClientTimeout = 10 * time.Second
	faultOutageHold    = 2 * time.Second // how long the outage lasts once noticed
	faultAfterRecovery = time.Second     // load kept up after recovery
)

// faultPaths are requests that need the database, valid in every respect:
// each must answer 200, or 503 while the database is away.
var faultPaths = []string{
	"/v1/events?year=2019",
	"/v1/events/csto-2019-10-battle-brotherhood",
	"/v1/timelines",
	"/v1/timelines/csto",
	"/v1/years?type=exercise",
	"/readyz",
}

// TestFaultPostgresOutage takes PostgreSQL away from a serving instance and
// gives it back, three ways, and checks what clients see: only 200s and
// well-formed 503s, fast answers during the outage, and full recovery
// without a restart.
func TestFaultPostgresOutage(t *testing.T) {
	cluster := faultNewCluster(t)
	dsn := cluster.createDB(t, "timeline")
	bin := faultBuild(t)
	faultRunCommand(t, bin, "migrate", "DATABASE_URL="+dsn)
	faultRunCommand(t, bin, "seed", "DATABASE_URL="+dsn)
	svc := faultStartService(t, bin, "DATABASE_URL="+dsn)

	for _, mode := range []string{"fast", "immediate"} {
		t.Run("stop -m "+mode, func(t *testing.T) {
			load := faultStartLoad(t, svc.base)
			load.waitForSamples(t, 20)
			downAt := time.Now()
			cluster.stop(t, mode)
			noticed := faultPollReadyz(t, svc.base, http.StatusServiceUnavailable, faultNoticeLimit)
			t.Logf("readyz 503 %v after pg_ctl stop returned", noticed.Round(time.Millisecond))
			time.Sleep(faultOutageHold)
			cluster.start(t)
			upAt := time.Now()
			recoveredAt := faultWaitRecovery(t, svc.base, upAt, "PostgreSQL was back")
			time.Sleep(faultAfterRecovery)
			samples := load.stop()

			faultCheckAnswers(t, samples)
			faultCheckOutageLatency(t, samples, downAt, upAt)
			var late []faultSample
			for _, s := range samples {
				if s.start.After(recoveredAt) && s.status != http.StatusOK {
					late = append(late, s)
				}
			}
			if len(late) > 0 {
				t.Errorf("%d requests started after recovery failed, first: %s; want 200", len(late), late[0])
			}
			faultCheckAllOK(t, svc.base)
		})
	}

	t.Run("pg_terminate_backend", func(t *testing.T) {
		load := faultStartLoad(t, svc.base)
		load.waitForSamples(t, 20)
		killedAt := time.Now()
		killed := cluster.terminateBackends(t, "timeline")
		if len(killed) == 0 {
			t.Fatal("got no backends of the service to terminate, want its pooled connections")
		}
		recoveredAt := faultWaitRecovery(t, svc.base, killedAt, "the backends were terminated")
		time.Sleep(faultAfterRecovery)
		samples := load.stop()

		faultCheckAnswers(t, samples)
		var failed int
		var lastFailure time.Time
		for _, s := range samples {
			if s.status != http.StatusOK {
				failed++
				if end := s.start.Add(s.latency); end.After(lastFailure) {
					lastFailure = end
				}
			}
		}
		t.Logf("terminated %d backends; %d of %d requests failed (503), the last %v after; readyz and a query said 200 %v after",
			len(killed), failed, len(samples), max(lastFailure.Sub(killedAt), 0).Round(time.Millisecond),
			recoveredAt.Sub(killedAt).Round(time.Millisecond))
		if failed > 0 {
			if d := lastFailure.Sub(killedAt); d > faultRecoveryLimit {
				t.Errorf("last 503 came %v after pg_terminate_backend, want within %v", d, faultRecoveryLimit)
			}
		}
		faultCheckAllOK(t, svc.base)
		if fresh := cluster.backendPIDs(t, "timeline"); len(fresh) == 0 || len(faultIntersect(fresh, killed)) > 0 {
			t.Errorf("backends after recovery: got %v (terminated %v), want new connections only", fresh, killed)
		}
	})

	// The same process served every round; it still shuts down cleanly
	// (with the race detector on, a race would make it exit 66).
	if code := svc.terminate(t, 30*time.Second); code != 0 {
		t.Errorf("exit code after SIGTERM: got %d, want 0", code)
	}
}

// faultSample is one request of the load and what came back.
type faultSample struct {
	path          string
	start         time.Time
	latency       time.Duration
	status        int
	contentType   string
	retryAfter    string
	problemStatus int    // the status field of a problem body
	problemType   string // the type field of a problem body
	err           error  // a transport error: no answer at all
}

func (s faultSample) String() string {
	if s.err != nil {
		return fmt.Sprintf("GET %s after %v: %v", s.path, s.latency.Round(time.Millisecond), s.err)
	}
	return fmt.Sprintf("GET %s after %v: %d %s Retry-After=%q", s.path, s.latency.Round(time.Millisecond),
		s.status, s.contentType, s.retryAfter)
}

// faultLoad is a few clients requesting faultPaths in turn until stopped
// or until each has made faultMaxPerClient requests.
type faultLoad struct {
	stopping chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
	mu       sync.Mutex
	samples  []faultSample
}

func faultStartLoad(t *testing.T, base string) *faultLoad {
	l := &faultLoad{stopping: make(chan struct{})}
	t.Cleanup(func() { l.stop() }) // when the test ends early
	client := &http.Client{Timeout: faultClientTimeout, Transport: &http.Transport{MaxIdleConnsPerHost: faultClients}}
	for c := range faultClients {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := range faultMaxPerClient {
				select {
				case <-l.stopping:
					return
				case <-time.After(faultPace):
				}
				s := faultGet(client, base, faultPaths[(c+i)%len(faultPaths)])
				l.mu.Lock()
				l.samples = append(l.samples, s)
				l.mu.Unlock()
			}
		}()
	}
	return l
}

// waitForSamples waits until the load has made n requests, so that the
// pool is warm before a fault.
func (l *faultLoad) waitForSamples(t *testing.T, n int) {
	t.Helper()
	for range 500 {
		l.mu.Lock()
		got := len(l.samples)
		l.mu.Unlock()
		if got >= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the load made too few requests in 5s, want %d", n)
}

// stop ends the load, lets requests in flight finish and returns them all.
func (l *faultLoad) stop() []faultSample {
	l.stopOnce.Do(func() { close(l.stopping) })
	l.wg.Wait()
	return l.samples
}

// faultGet requests path and reads the whole answer.
func faultGet(client *http.Client, base, path string) faultSample {
	s := faultSample{path: path, start: time.Now()}
	res, err := client.Get(base + path)
	if err != nil {
		s.latency, s.err = time.Since(s.start), err
		return s
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	s.latency = time.Since(s.start)
	s.status, s.err = res.StatusCode, err
	s.contentType, s.retryAfter = res.Header.Get("Content-Type"), res.Header.Get("Retry-After")
	if strings.HasPrefix(s.contentType, "application/problem+json") {
		var p struct {
			Type   string `json:"type"`
			Status int    `json:"status"`
		}
		if json.Unmarshal(body, &p) == nil {
			s.problemType, s.problemStatus = p.Type, p.Status
		}
	}
	return s
}

// faultCheckAnswers fails on anything but a 200 or a proper 503: a 500, a
// malformed 503, or no answer at all (a hang until the client timeout, a
// dropped connection).
func faultCheckAnswers(t *testing.T, samples []faultSample) {
	t.Helper()
	bad := map[string][]faultSample{}
	var unavailable int
	for _, s := range samples {
		switch {
		case s.err != nil:
			bad["no answer"] = append(bad["no answer"], s)
		case s.status == http.StatusOK:
		case s.status != http.StatusServiceUnavailable:
			bad[fmt.Sprintf("status %d", s.status)] = append(bad[fmt.Sprintf("status %d", s.status)], s)
		case s.retryAfter == "":
			bad["503 without Retry-After"] = append(bad["503 without Retry-After"], s)
		case !strings.HasPrefix(s.contentType, "application/problem+json") || s.problemStatus != http.StatusServiceUnavailable ||
			!strings.HasSuffix(s.problemType, "#unavailable"):
			bad["503 without an unavailable problem"] = append(bad["503 without an unavailable problem"], s)
		default:
			unavailable++
		}
	}
	for _, kind := range faultSortedKeys(bad) {
		t.Errorf("%d of %d requests: %s, first: %s; want 200, or 503 problem+json with Retry-After",
			len(bad[kind]), len(samples), kind, bad[kind][0])
	}
	t.Logf("%d requests: %d answered 503, the rest 200", len(samples), unavailable)
}

// faultCheckOutageLatency computes the p99 latency of the requests that
// started while PostgreSQL was away.
func faultCheckOutageLatency(t *testing.T, samples []faultSample, downAt, upAt time.Time) {
	t.Helper()
	var lat []time.Duration
	var unavailable int
	for _, s := range samples {
		if s.start.Before(downAt) || !s.start.Before(upAt) {
			continue
		}
		lat = append(lat, s.latency)
		if s.status == http.StatusServiceUnavailable {
			unavailable++
		}
	}
	if len(lat) < 20 || unavailable == 0 {
		t.Fatalf("during the outage: %d requests, %d of them 503; want at least 20 and some 503s", len(lat), unavailable)
	}
	slices.Sort(lat)
	p50, p99 := lat[len(lat)/2], lat[(len(lat)*99+99)/100-1]
	t.Logf("during the outage: %d requests, %d answered 503; latency p50 %v, p99 %v, max %v",
		len(lat), unavailable, p50.Round(time.Microsecond), p99.Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))
	if p99 >= faultP99Limit {
		t.Errorf("p99 latency while PostgreSQL was down: got %v, want under %v", p99, faultP99Limit)
	}
}

// faultWaitRecovery polls until readyz and a query both answer 200, and
// fails unless that happens within faultRecoveryLimit of since, when what
// happened.
func faultWaitRecovery(t *testing.T, base string, since time.Time, what string) time.Time {
	t.Helper()
	client := &http.Client{Timeout: faultClientTimeout}
	for time.Since(since) < faultRecoveryLimit {
		if faultGet(client, base, "/readyz").status == http.StatusOK &&
			faultGet(client, base, "/v1/events?year=2019").status == http.StatusOK {
			at := time.Now()
			t.Logf("readyz and a query said 200 %v after %s", at.Sub(since).Round(time.Millisecond), what)
			return at
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("readyz and a query did not both answer 200 within %v after %s", faultRecoveryLimit, what)
	return time.Time{}
}

// faultPollReadyz polls /readyz until it answers want and returns how long
// that took, failing after limit.
func faultPollReadyz(t *testing.T, base string, want int, limit time.Duration) time.Duration {
	t.Helper()
	client := &http.Client{Timeout: faultClientTimeout}
	start := time.Now()
	var last faultSample
	for time.Since(start) < limit {
		if last = faultGet(client, base, "/readyz"); last.err == nil && last.status == want {
			return time.Since(start)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("readyz: got %s for %v, want %d", last, limit, want)
	return 0
}

// faultCheckAllOK requests every path once more, one at a time: all 200.
func faultCheckAllOK(t *testing.T, base string) {
	t.Helper()
	client := &http.Client{Timeout: faultClientTimeout}
	for _, p := range faultPaths {
		if s := faultGet(client, base, p); s.err != nil || s.status != http.StatusOK {
			t.Errorf("after recovery: got %s, want 200", s)
		}
	}
}

func faultSortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func faultIntersect(a, b []int) []int {
	var out []int
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// faultSkipOrFail skips a test that cannot run here, or fails it where it
// must run (CI=true).
func faultSkipOrFail(t *testing.T, why string) {
	t.Helper()
	skipreport.Missing(t, "%s", why)
}

// faultCluster is a PostgreSQL cluster of the test's own, in a temporary
// directory, listening on 127.0.0.1 at a free port.
type faultCluster struct {
	bin   string // where initdb and pg_ctl are
	dir   string // the data directory, socket and log live here
	port  string
	runAs string // "postgres" when the test runs as root, which initdb refuses
	admin *gorm.DB
}

// faultPostgresBin finds the PostgreSQL server binaries: $PG_BINDIR, the
// newest Debian/Ubuntu installation, /usr/local/pgsql, or the PATH.
func faultPostgresBin() (string, error) {
	var dirs []string
	if d := os.Getenv("PG_BINDIR"); d != "" {
		dirs = append(dirs, d)
	}
	debian, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(debian, func(i, j int) bool { return faultMajor(debian[i]) > faultMajor(debian[j]) })
	dirs = append(dirs, debian...)
	dirs = append(dirs, "/usr/local/pgsql/bin")
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, d := range dirs {
		if faultIsExec(filepath.Join(d, "initdb")) && faultIsExec(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", errors.New("the fault test needs the PostgreSQL server binaries (initdb, pg_ctl) and found none in " +
		"$PG_BINDIR, /usr/lib/postgresql/*/bin, /usr/local/pgsql/bin or the PATH; install PostgreSQL or set PG_BINDIR")
}

func faultMajor(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func faultIsExec(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// faultNewCluster initializes and starts a cluster; cleanup stops it
// (immediately) and removes it, pass or fail.
func faultNewCluster(t *testing.T) *faultCluster {
	t.Helper()
	bin, err := faultPostgresBin()
	if err != nil {
		faultSkipOrFail(t, err.Error())
	}
	c := &faultCluster{bin: bin, port: faultFreePort(t)}
	var owner *user.User
	if os.Geteuid() == 0 {
		if owner, err = user.Lookup("postgres"); err != nil {
			faultSkipOrFail(t, "running as root, which initdb refuses, and there is no postgres user to run it as: "+err.Error())
		}
		if _, err := exec.LookPath("runuser"); err != nil {
			faultSkipOrFail(t, "running as root, which initdb refuses, and there is no runuser to switch to postgres")
		}
		c.runAs = owner.Username
	}
	// Not t.TempDir: its parents are private to root, and the cluster's
	// owner must reach it. The socket path must stay short, too.
	if c.dir, err = os.MkdirTemp("", "timeline-fault-pg-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(c.dir) })
	if owner != nil {
		uid, _ := strconv.Atoi(owner.Uid)
		gid, _ := strconv.Atoi(owner.Gid)
		if err := os.Chown(c.dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(c.dir, "data")
	c.run(t, "initdb", "-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")
	conf := fmt.Sprintf("\nlisten_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = '%s'\n"+
		"fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nshared_buffers = 32MB\nmax_connections = 50\n",
		c.port, c.dir)
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString(conf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			if b, err := os.ReadFile(filepath.Join(c.dir, "postgres.log")); err == nil {
				t.Logf("PostgreSQL log (last 3 KB):\n%s", faultTail(b, 3<<10))
			}
		}
		_ = c.pgctl("stop", "-m", "immediate")
	})
	c.start(t)

	admin, err := gorm.Open(postgres.Open(c.url("postgres")), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	c.admin = admin
	t.Cleanup(func() {
		if db, err := admin.DB(); err == nil {
			db.Close()
		}
	})
	return c
}

func (c *faultCluster) url(db string) string {
	return "postgres://postgres@127.0.0.1:" + c.port + "/" + db + "?sslmode=disable"
}

// command runs a PostgreSQL program as the cluster's owner.
func (c *faultCluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if c.runAs != "" {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", c.runAs, "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	cmd.Dir = c.dir // the owner may not enter the test's working directory
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

func (c *faultCluster) execute(name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := c.command(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

func (c *faultCluster) run(t *testing.T, name string, args ...string) {
	t.Helper()
	if err := c.execute(name, args...); err != nil {
		t.Fatal(err)
	}
}

func (c *faultCluster) pgctl(args ...string) error {
	return c.execute("pg_ctl", append([]string{"-D", filepath.Join(c.dir, "data"), "-w", "-t", "60"}, args...)...)
}

// start starts the cluster and returns once it accepts connections.
func (c *faultCluster) start(t *testing.T) {
	t.Helper()
	if err := c.pgctl("-l", filepath.Join(c.dir, "postgres.log"), "start"); err != nil {
		t.Fatal(err)
	}
}

// stop stops the cluster with pg_ctl's mode: fast (backends terminated,
// clean shutdown) or immediate (everything killed, recovery on restart).
func (c *faultCluster) stop(t *testing.T, mode string) {
	t.Helper()
	if err := c.pgctl("stop", "-m", mode); err != nil {
		t.Fatal(err)
	}
}

// createDB creates a database and returns its URL.
func (c *faultCluster) createDB(t *testing.T, name string) string {
	t.Helper()
	if err := c.admin.Exec("CREATE DATABASE " + name).Error; err != nil {
		t.Fatal(err)
	}
	return c.url(name)
}

// backendPIDs lists the client connections to database db.
func (c *faultCluster) backendPIDs(t *testing.T, db string) []int {
	t.Helper()
	var pids []int
	if err := c.admin.Raw(`SELECT pid FROM pg_stat_activity
		WHERE datname = ? AND backend_type = 'client backend' AND pid <> pg_backend_pid() ORDER BY pid`, db).
		Scan(&pids).Error; err != nil {
		t.Fatal(err)
	}
	return pids
}

// terminateBackends kills every client connection to database db, as an
// administrator would, and returns their process ids.
func (c *faultCluster) terminateBackends(t *testing.T, db string) []int {
	t.Helper()
	var killed []int
	for _, pid := range c.backendPIDs(t, db) {
		var ok bool
		if err := c.admin.Raw("SELECT pg_terminate_backend(?)", pid).Scan(&ok).Error; err != nil {
			t.Fatal(err)
		}
		if ok {
			killed = append(killed, pid)
		}
	}
	return killed
}

// faultFreePort returns a port on 127.0.0.1 that was free a moment ago.
func faultFreePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// faultBinary is the timeline command, built once per test run.
var faultBinary struct {
	once sync.Once
	path string
	err  error
}

// faultBuild builds the timeline command, with the race detector when
// this test binary has it, so that the process under test is checked too.
func faultBuild(t *testing.T) string {
	t.Helper()
	faultBinary.once.Do(func() {
		args := []string{"build", "-o", filepath.Join(tmpDir, "timeline")}
		if raceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, ".")...)
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			faultBinary.err = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
			return
		}
		faultBinary.path = filepath.Join(tmpDir, "timeline")
	})
	if faultBinary.err != nil {
		t.Fatal(faultBinary.err)
	}
	return faultBinary.path
}

// faultRunCommand runs a one-shot subcommand of the binary (migrate, seed)
// with env as its whole environment.
func faultRunCommand(t *testing.T, bin, sub string, env ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, sub)
	cmd.Env = append([]string{"LOG_LEVEL=warn"}, env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("timeline %s: %v\n%s", sub, err, out)
	}
}

// faultService is the binary serving on a loopback port, as a child
// process.
type faultService struct {
	cmd  *exec.Cmd
	base string
	log  string
	done chan struct{} // closed when the process has exited
}

// faultStartService starts the binary with env (besides ADDR) as its whole
// environment and waits until it is ready. Cleanup kills it if it still
// runs and shows its log if the test failed.
func faultStartService(t *testing.T, bin string, env ...string) *faultService {
	t.Helper()
	addr := "127.0.0.1:" + faultFreePort(t)
	s := &faultService{base: "http://" + addr, log: filepath.Join(t.TempDir(), "service.log"), done: make(chan struct{})}
	logFile, err := os.Create(s.log)
	if err != nil {
		t.Fatal(err)
	}
	s.cmd = exec.Command(bin)
	// No rate limit: the load comes from one address, on purpose.
	s.cmd.Env = append([]string{"ADDR=" + addr, "LOG_LEVEL=info", "CURSOR_KEY=fault-test", "RATE_LIMIT_RPS=0"}, env...)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		logFile.Close()
		t.Fatal(err)
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = s.cmd.Process.Kill()
			<-s.done
		}
		logFile.Close()
		if t.Failed() {
			if b, err := os.ReadFile(s.log); err == nil {
				t.Logf("service log (last 3 KB):\n%s", faultTail(b, 3<<10))
			}
		}
	})
	client := &http.Client{Timeout: faultClientTimeout}
	for range 300 {
		select {
		case <-s.done:
			t.Fatalf("the service exited at start: %v", s.cmd.ProcessState)
		default:
		}
		if faultGet(client, s.base, "/readyz").status == http.StatusOK {
			return s
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the service was not ready within 30s")
	return nil
}

// exited reports whether the process has exited.
func (s *faultService) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// wait waits up to limit for the process to exit and returns its exit
// code, failing the test if it did not exit.
func (s *faultService) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-s.done:
		return s.cmd.ProcessState.ExitCode()
	case <-time.After(limit):
		t.Fatalf("the service did not exit within %v", limit)
		return -1
	}
}

// terminate sends SIGTERM and waits for the exit code.
func (s *faultService) terminate(t *testing.T, limit time.Duration) int {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	return s.wait(t, limit)
}

func faultTail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
