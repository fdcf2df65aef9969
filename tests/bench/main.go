// Command bench measures the read path of the timeline service against a
// baseline build, side by side in one run, on generated PostgreSQL data.
//
// It builds the service from this checkout (and, with -base, from another
// checkout of an older commit), generates or reuses kept databases of
// generated events (through the generator of tests/explain_test.go:
// EXPLAIN_KEEP_DB), starts each build on a free port against each
// database, and runs a fixed matrix of requests with a small closed-loop
// load generator, alternating the builds request by request so that both
// see the same machine. It prints req/s, p50 and p99 per request and
// build, the new build's req/s at the large size over the small, export
// throughput with the server's peak RSS, and the 304 rate.
//
//	go run ./tests/bench -base /tmp/perf-base -rows 1000000,10000 -duration 5s
//
// Timings depend on the machine; the ratios between builds in one run are
// what the benchmark is for (see BENCHMARKS.md).
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type build struct {
	name, dir, bin string
	// env is added to the server's environment (a -variant of new).
	env []string
}

type server struct {
	build *build
	rows  int
	url   string
	cmd   *exec.Cmd
}

func run() error {
	var (
		base     = flag.String("base", "", "checkout of the baseline commit to build and compare (optional)")
		rowsFlag = flag.String("rows", "1000000,10000", "generated table sizes; the first is the large one")
		admin    = flag.String("admin", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL admin URL")
		duration = flag.Duration("duration", 5*time.Second, "load time per request and build")
		conc     = flag.Int("c", 4, "concurrent clients")
		only     = flag.String("only", "", "comma-separated request names to run (default all)")
		exports  = flag.Bool("exports", true, "measure full CSV and NDJSON exports")
		variant  = flag.String("variant", "", "NAME:KEY=VAL[,KEY=VAL][;NAME:...]: also run the new build with this environment, as build NAME (DSN_PARAMS=a=b adds to the database URL)")
	)
	flag.Parse()
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "timeline-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	builds := []*build{{name: "new", dir: root}}
	if *base != "" {
		builds = append([]*build{{name: "base", dir: *base}}, builds...)
	}
	for _, b := range builds {
		b.bin = filepath.Join(tmp, "timeline-"+b.name)
		cmd := exec.Command("go", "build", "-o", b.bin, ".")
		cmd.Dir, cmd.Stdout, cmd.Stderr = b.dir, os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("build %s: %w", b.name, err)
		}
	}
	for _, v := range strings.Split(*variant, ";") {
		if v == "" {
			continue
		}
		name, env, ok := strings.Cut(v, ":")
		if !ok || name == "" || name == "new" || name == "base" {
			return fmt.Errorf("-variant %q: want NAME:KEY=VAL[,KEY=VAL]", v)
		}
		builds = append(builds, &build{name: name, dir: root, bin: filepath.Join(tmp, "timeline-new"), env: strings.Split(env, ",")})
	}
	var sizes []int
	for _, s := range strings.Split(*rowsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("-rows: %w", err)
		}
		sizes = append(sizes, n)
	}
	dsns := map[int]string{}
	for _, n := range sizes {
		name := fmt.Sprintf("timeline_kept_bench_%d", n)
		fmt.Fprintf(os.Stderr, "data: %d events in %s (generated once, then reused)\n", n, name)
		cmd := exec.Command("go", "test", "./tests/", "-run", "^TestGenerateKept$", "-count=1", "-timeout", "90m")
		cmd.Dir, cmd.Stdout, cmd.Stderr = root, os.Stderr, os.Stderr
		cmd.Env = append(os.Environ(), "EXPLAIN_ROWS="+strconv.Itoa(n), "EXPLAIN_KEEP_DB="+name, "TEST_DATABASE_URL="+*admin)
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("generate %d events: %w", n, err)
		}
		dsns[n] = strings.Replace(*admin, "/postgres?", "/"+name+"?", 1)
	}

	var servers []*server
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	byKey := map[string]*server{}
	for _, n := range sizes {
		for _, b := range builds {
			s, err := start(b, n, dsns[n])
			if err != nil {
				return err
			}
			servers = append(servers, s)
			byKey[fmt.Sprintf("%s/%d", b.name, n)] = s
		}
	}

	fmt.Printf("# timeline read-path benchmark, %s, %d clients, %s per cell\n", time.Now().UTC().Format(time.RFC3339), *conc, *duration)
	fmt.Printf("%-34s %8s %-5s %9s %8s %8s\n", "request", "events", "build", "req/s", "p50 ms", "p99 ms")
	reqs := matrix()
	results := map[string]stats{}
	for _, r := range reqs {
		if *only != "" && !strings.Contains(","+*only+",", ","+r.name+",") {
			continue
		}
		for _, n := range sizes {
			if r.largeOnly && n != sizes[0] {
				continue
			}
			// Alternate the builds in short slices so that both see the
			// same machine.
			per := map[string]*collector{}
			for _, b := range builds {
				per[b.name] = &collector{}
			}
			slices := 5
			for i := 0; i < slices; i++ {
				for _, b := range builds {
					s := byKey[fmt.Sprintf("%s/%d", b.name, n)]
					load(s.url+r.path, r.header, *conc, *duration/time.Duration(slices), per[b.name])
				}
			}
			for _, b := range builds {
				st := per[b.name].stats()
				results[fmt.Sprintf("%s/%s/%d", r.name, b.name, n)] = st
				fmt.Printf("%-34s %8d %-5s %9.0f %8.2f %8.2f", r.name, n, b.name, st.rps, st.p50, st.p99)
				if st.errors > 0 {
					fmt.Printf("  (%d errors, first: %s)", st.errors, st.firstErr)
				}
				fmt.Println()
			}
			if *base != "" {
				bb := results[fmt.Sprintf("%s/base/%d", r.name, n)]
				for _, b := range builds[1:] {
					nb := results[fmt.Sprintf("%s/%s/%d", r.name, b.name, n)]
					if bb.errors > 0 {
						fmt.Printf("%-34s %8d ratio %s/base: none, the base failed\n", r.name, n, b.name)
						continue
					}
					fmt.Printf("%-34s %8d ratio %s/base %.2fx\n", r.name, n, b.name, nb.rps/max(bb.rps, 1e-9))
				}
			}
		}
	}
	if len(sizes) > 1 {
		fmt.Printf("\n# growth: new build req/s at %d events over %d\n", sizes[0], sizes[len(sizes)-1])
		for _, r := range reqs {
			big, ok1 := results[fmt.Sprintf("%s/new/%d", r.name, sizes[0])]
			small, ok2 := results[fmt.Sprintf("%s/new/%d", r.name, sizes[len(sizes)-1])]
			if ok1 && ok2 {
				fmt.Printf("%-34s %.2fx\n", r.name, big.rps/max(small.rps, 1e-9))
			}
		}
	}
	if *exports {
		fmt.Printf("\n# exports of all %d events, one client\n", sizes[0])
		for _, fm := range []string{"csv", "ndjson"} {
			for _, b := range builds {
				s := byKey[fmt.Sprintf("%s/%d", b.name, sizes[0])]
				rows, bytes, d, err := export(s.url + "/v1/events." + fm)
				rss := peakRSS(s.cmd.Process.Pid)
				if err != nil {
					fmt.Printf("%-7s %-5s error: %v\n", fm, b.name, err)
					continue
				}
				fmt.Printf("%-7s %-5s %9d rows %6.0f MB in %6.1fs: %8.0f rows/s, server peak RSS %.0f MiB\n",
					fm, b.name, rows, float64(bytes)/1e6, d.Seconds(), float64(rows)/d.Seconds(), float64(rss)/1024)
			}
		}
	}
	return nil
}

// request is one cell of the matrix.
type request struct {
	name, path string
	header     http.Header
	largeOnly  bool
}

// matrix is the fixed list of requests: every filter, combinations, deep
// pages, sparse and search, and a conditional request.
func matrix() []request {
	common, rare := "bababan", "gizodan" // explainWord(0, 1) and explainWord(3, 1000)
	return []request{
		{name: "list", path: "/v1/events?limit=50"},
		// The timeline overview: a sparse fieldset, no relation read (the
		// base build, before fields=, answers it 400).
		{name: "overview", path: "/v1/events?limit=50&fields=id,title,display_date,start_date"},
		{name: "year", path: "/v1/events?year=2019&limit=50"},
		{name: "year-1950", path: "/v1/events?year=1950&limit=50"},
		{name: "years", path: "/v1/events?year=2019&year=2021&limit=50"},
		{name: "from-to-month", path: "/v1/events?from=2019-10-01&to=2019-10-31&limit=50"},
		{name: "within-year", path: "/v1/events?year=2019&match=within&limit=50"},
		{name: "year-desc", path: "/v1/events?year=2019&sort=-date&limit=50"},
		{name: "type", path: "/v1/events?type=summit&limit=50"},
		{name: "actor-frequent", path: "/v1/events?actor=explain-actor-001&limit=50"},
		{name: "actor-uncommon", path: "/v1/events?actor=explain-actor-299&limit=50"},
		{name: "actor-rare", path: "/v1/events?actor=explain-actor-rare&limit=50"},
		{name: "place", path: "/v1/events?place=explain-place-001&limit=50"},
		{name: "tag", path: "/v1/events?tag=tag-150&limit=50"},
		{name: "year-type-actor", path: "/v1/events?year=2019&type=summit&actor=explain-actor-001&limit=50"},
		{name: "q-common", path: "/v1/events?q=" + common + "&limit=50"},
		{name: "q-rare", path: "/v1/events?q=" + rare + "&limit=50"},
		{name: "q-every-relevance", path: "/v1/events?q=generated&sort=relevance&limit=50"},
		{name: "q-common-relevance", path: "/v1/events?q=" + common + "&sort=relevance&limit=50"},
		{name: "event", path: "/v1/events/ev-0000777"},
		{name: "years-histogram", path: "/v1/years?from=2010-01-01&to=2019-12-31"},
		{name: "actors-catalog", path: "/v1/actors?limit=50"},
		{name: "304", path: "/v1/events?year=2019&limit=50", header: http.Header{"If-None-Match": {"*"}}},
	}
}

// start runs a build against dsn on a free port and waits until it is ready.
func start(b *build, rows int, dsn string) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(b.bin, "serve")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+dsn, "ADDR="+addr, "RATE_LIMIT_RPS=0", "LOG_LEVEL=error",
		"DB_MAX_OPEN_CONNS=8", "DB_MAX_IDLE_CONNS=8", "CURSOR_KEY=bench")
	for _, kv := range b.env {
		if params, ok := strings.CutPrefix(kv, "DSN_PARAMS="); ok {
			kv = "DATABASE_URL=" + dsn + "&" + params
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{build: b, rows: rows, url: "http://" + addr, cmd: cmd}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s on %d events did not become ready", b.name, rows)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *server) stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
		}
	}
}

// collector gathers latencies of one cell.
type collector struct {
	mu       sync.Mutex
	lat      []time.Duration
	errors   int
	firstErr string
	elapsed  time.Duration
}

type stats struct {
	rps, p50, p99 float64
	errors        int
	firstErr      string
}

func (c *collector) stats() stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	sort.Slice(c.lat, func(i, j int) bool { return c.lat[i] < c.lat[j] })
	st := stats{errors: c.errors, firstErr: c.firstErr}
	if n := len(c.lat); n > 0 {
		st.rps = float64(n) / c.elapsed.Seconds()
		st.p50 = float64(c.lat[n/2].Microseconds()) / 1000
		st.p99 = float64(c.lat[min(n-1, n*99/100)].Microseconds()) / 1000
	}
	return st
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}

// load runs conc closed-loop clients on url for d.
func load(url string, header http.Header, conc int, d time.Duration, c *collector) {
	var wg sync.WaitGroup
	var stop atomic.Bool
	begin := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			for !stop.Load() {
				t := time.Now()
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				for k, v := range header {
					req.Header[k] = v
				}
				resp, err := client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err == nil && resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotModified {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if err != nil {
					c.mu.Lock()
					if c.errors == 0 {
						c.firstErr = err.Error()
					}
					c.errors++
					c.mu.Unlock()
					continue
				}
				lat = append(lat, time.Since(t))
			}
			c.mu.Lock()
			c.lat = append(c.lat, lat...)
			c.mu.Unlock()
		}()
	}
	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	c.mu.Lock()
	c.elapsed += time.Since(begin)
	c.mu.Unlock()
}

// export downloads a whole export and counts its lines.
func export(url string) (rows, bytes int64, d time.Duration, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	t := time.Now()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	r := bufio.NewReaderSize(resp.Body, 1<<20)
	buf := make([]byte, 1<<20)
	for {
		n, err := r.Read(buf)
		bytes += int64(n)
		for _, c := range buf[:n] {
			if c == '\n' {
				rows++
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return rows, bytes, time.Since(t), err
		}
	}
	if strings.HasSuffix(url, ".csv") {
		rows-- // the header line
	}
	return rows, bytes, time.Since(t), nil
}

// peakRSS returns the process's peak resident set in KiB (VmHWM).
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				n, _ := strconv.ParseInt(f[1], 10, 64)
				return n
			}
		}
	}
	return 0
}
