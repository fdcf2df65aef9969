package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestHelp: help, -h and --help print every command and every environment
// variable of the README's configuration table, and exit 0.
func TestHelp(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	// Every table headed "variable | default | meaning" documents
	// variables: the configuration table, and the one of "Scaling out".
	var config strings.Builder
	for _, table := range strings.Split(string(readme), "| variable | default | meaning |\n")[1:] {
		table, _, _ = strings.Cut(table, "\n\n")
		config.WriteString(table + "\n")
	}
	vars := regexp.MustCompile("(?m)^\\| `([A-Z][A-Z0-9_]+)` \\|").FindAllStringSubmatch(config.String(), -1)
	if len(vars) < 20 {
		t.Fatalf("found %d variables in README.md's configuration table, want the whole table", len(vars))
	}
	for _, arg := range []string{"help", "-h", "--help"} {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"timeline", arg}, env(nil), &out); err != nil {
			t.Fatalf("timeline %s: got %v, want nil", arg, err)
		}
		for _, cmd := range commands {
			if !regexp.MustCompile(`(?m)^  ` + cmd + `\b`).MatchString(out.String()) {
				t.Errorf("timeline %s: the output does not list the command %s", arg, cmd)
			}
		}
		for _, v := range vars {
			if !regexp.MustCompile(`(?m)^  ` + v[1] + `\s`).MatchString(out.String()) {
				t.Errorf("timeline %s: the output does not list %s, which README.md documents", arg, v[1])
			}
		}
		listed := regexp.MustCompile(`(?m)^  ([A-Z][A-Z0-9_]+)\s`).FindAllStringSubmatch(out.String(), -1)
		for _, l := range listed {
			if !slices.ContainsFunc(vars, func(v []string) bool { return v[1] == l[1] }) {
				t.Errorf("timeline %s lists %s, which README.md's configuration table does not", arg, l[1])
			}
		}
	}
}

// TestUnknownCommand: an unknown command is refused with the list of the
// valid ones.
func TestUnknownCommand(t *testing.T) {
	err := run(context.Background(), []string{"timeline", "frobnicate"}, env(nil), &bytes.Buffer{})
	if err == nil {
		t.Fatal("got nil, want an error")
	}
	for _, cmd := range commands {
		if !strings.Contains(err.Error(), cmd) {
			t.Errorf("got %q, want it to name the command %s", err, cmd)
		}
	}
	if !strings.Contains(err.Error(), `"frobnicate"`) {
		t.Errorf("got %q, want it to quote the unknown command", err)
	}
	err = run(context.Background(), []string{"timeline", "serve", "now"}, env(nil), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "no arguments") {
		t.Errorf("timeline serve now: got %v, want an error saying serve takes no arguments", err)
	}
}

// TestHealthcheck runs the healthcheck command against a server answering
// /readyz with 200, with 503, and against a port where nothing listens.
func TestHealthcheck(t *testing.T) {
	status := http.StatusOK
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		w.WriteHeader(status)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	check := func(getenv map[string]string) error {
		return run(context.Background(), []string{"timeline", "healthcheck"}, env(getenv), io.Discard)
	}
	if err := check(map[string]string{"ADDR": addr}); err != nil {
		t.Errorf("ready server: got %v, want nil", err)
	}
	_, port, _ := strings.Cut(addr, ":")
	if err := check(map[string]string{"PORT": port}); err != nil {
		t.Errorf("PORT=%s (all interfaces, checked on 127.0.0.1): got %v, want nil", port, err)
	}
	if want := []string{"/readyz", "/readyz"}; !slices.Equal(paths, want) {
		t.Errorf("requested %q, want %q", paths, want)
	}
	status = http.StatusServiceUnavailable
	if err := check(map[string]string{"ADDR": addr}); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("server answering 503: got %v, want an error naming 503", err)
	}
	if err := check(map[string]string{"PORT": freePort(t)}); err == nil {
		t.Error("nothing listening: got nil, want an error")
	}
}

// TestServeRefusesDefaultCursorKey: against PostgreSQL, serve will not sign
// cursors with the key in the source unless told it may. The check comes
// before the database is opened, so no server is needed.
func TestServeRefusesDefaultCursorKey(t *testing.T) {
	dsn := "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1"
	for _, key := range []string{"", "timeline-default-cursor-key"} {
		err := run(context.Background(), []string{"timeline", "serve"},
			env(map[string]string{"DATABASE_URL": dsn, "CURSOR_KEY": key}), io.Discard)
		if err == nil || !strings.Contains(err.Error(), "CURSOR_KEY") || !strings.Contains(err.Error(), "ALLOW_DEFAULT_CURSOR_KEY") {
			t.Errorf("CURSOR_KEY=%q: got %v, want a refusal naming CURSOR_KEY and ALLOW_DEFAULT_CURSOR_KEY", key, err)
		}
	}
	// Allowed, or with a key of its own, serve goes on to the database,
	// which is not there.
	for _, e := range []map[string]string{{"ALLOW_DEFAULT_CURSOR_KEY": "true"}, {"CURSOR_KEY": "a-secret-of-its-own"}} {
		e["DATABASE_URL"] = dsn
		err := run(context.Background(), []string{"timeline", "serve"}, env(e), io.Discard)
		if err == nil || strings.Contains(err.Error(), "CURSOR_KEY") {
			t.Errorf("%v: got %v, want a database error, not the cursor key refusal", e, err)
		}
	}
	// The embedded database needs no key: it is a local default.
	if _, err := loadConfig(env(map[string]string{"ALLOW_DEFAULT_CURSOR_KEY": "sure"})); err == nil ||
		!strings.Contains(err.Error(), "ALLOW_DEFAULT_CURSOR_KEY") {
		t.Errorf("ALLOW_DEFAULT_CURSOR_KEY=sure: got %v, want an error naming it", err)
	}
}

// TestMetricsAddr serves the real program with METRICS_ADDR: /metrics is
// there and not on the public port; without it, it is on the public port.
func TestMetricsAddr(t *testing.T) {
	dir := t.TempDir()
	for _, separate := range []bool{true, false} {
		port, metricsPort := freePort(t), freePort(t)
		e := map[string]string{"PORT": port, "SQLITE_PATH": filepath.Join(dir, "t.db")}
		if separate {
			e["METRICS_ADDR"] = "127.0.0.1:" + metricsPort
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- run(ctx, []string{"timeline"}, env(e), io.Discard) }()
		waitGet(t, "http://127.0.0.1:"+port+"/v1/timelines", done)
		public := getStatus(t, "http://127.0.0.1:"+port+"/metrics")
		if separate {
			if public.code != http.StatusNotFound {
				t.Errorf("METRICS_ADDR set: public /metrics answered %d, want 404", public.code)
			}
			private := getStatus(t, "http://127.0.0.1:"+metricsPort+"/metrics")
			if private.code != http.StatusOK || !strings.Contains(private.body, `timeline_http_requests_total{method="GET",route="/v1/timelines",status="200"}`) {
				t.Errorf("METRICS_ADDR /metrics: got %d %.300s, want 200 with the public port's request counted", private.code, private.body)
			}
		} else if public.code != http.StatusOK || !strings.Contains(public.body, "timeline_http_requests_total") {
			t.Errorf("no METRICS_ADDR: public /metrics answered %d, want 200 with the metrics", public.code)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		if separate {
			if _, err := http.Get("http://127.0.0.1:" + metricsPort + "/metrics"); err == nil {
				t.Error("the metrics listener still answers after shutdown")
			}
		}
	}
	if _, err := loadConfig(env(map[string]string{"METRICS_ADDR": "9090"})); err == nil || !strings.Contains(err.Error(), "METRICS_ADDR") {
		t.Errorf("METRICS_ADDR=9090: got %v, want an error naming METRICS_ADDR", err)
	}
}

// TestRateLimitLoopbackDefault: the default limit spares loopback clients;
// an explicit RATE_LIMIT_RPS limits them too.
func TestRateLimitLoopbackDefault(t *testing.T) {
	c, _ := loadConfig(env(nil))
	if c.rateLimit != 10 || c.rateLimitLoopback {
		t.Errorf("defaults: got rate %v, loopback limited %v; want 10 and false", c.rateLimit, c.rateLimitLoopback)
	}
	c, _ = loadConfig(env(map[string]string{"RATE_LIMIT_RPS": "10"}))
	if !c.rateLimitLoopback {
		t.Error("RATE_LIMIT_RPS=10: got loopback not limited, want limited")
	}
}

type statusBody struct {
	code int
	body string
}

func getStatus(t *testing.T, url string) statusBody {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return statusBody{res.StatusCode, string(b)}
}

// TestSecretFiles: CURSOR_KEY_FILE and DATABASE_PASSWORD_FILE read secrets
// from files (compose secrets), and conflicting or broken settings are
// refused with the variable named.
func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	key, pw, empty := write("key", "s3cret-key\n"), write("pw", "p@ss:w/rd\n"), write("empty", "\n")
	c, err := loadConfig(env(map[string]string{"CURSOR_KEY_FILE": key, "DATABASE_PASSWORD_FILE": pw,
		"DATABASE_URL":          "postgres://timeline@db:5432/timeline?sslmode=disable",
		"DATABASE_REPLICA_URLS": "postgres://timeline@replica:6432/timeline,postgres://reader:own@replica2/timeline",
		"DATABASE_LISTEN_URL":   "postgres://timeline@db:5432/timeline"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.cursorKey != "s3cret-key" {
		t.Errorf("CURSOR_KEY_FILE: got key %q, want %q", c.cursorKey, "s3cret-key")
	}
	if want := "postgres://timeline:p%40ss%3Aw%2Frd@db:5432/timeline?sslmode=disable"; c.databaseURL != want {
		t.Errorf("DATABASE_PASSWORD_FILE: got URL %q, want %q", c.databaseURL, want)
	}
	// The replicas get it too, unless a URL gives its own.
	want := []string{"postgres://timeline:p%40ss%3Aw%2Frd@replica:6432/timeline", "postgres://reader:own@replica2/timeline"}
	if !slices.Equal(c.scale.replicaURLs, want) {
		t.Errorf("DATABASE_PASSWORD_FILE on replicas: got %q, want %q", c.scale.replicaURLs, want)
	}
	if want := "postgres://timeline:p%40ss%3Aw%2Frd@db:5432/timeline"; c.scale.listenURL != want {
		t.Errorf("DATABASE_PASSWORD_FILE on DATABASE_LISTEN_URL: got %q, want %q", c.scale.listenURL, want)
	}
	for _, e := range []map[string]string{
		{"CURSOR_KEY_FILE": key, "CURSOR_KEY": "also"},
		{"CURSOR_KEY_FILE": filepath.Join(dir, "missing")},
		{"CURSOR_KEY_FILE": empty},
		{"DATABASE_PASSWORD_FILE": pw},
		{"DATABASE_PASSWORD_FILE": pw, "DATABASE_URL": "postgres://timeline:inline@db/timeline"},
		{"DATABASE_PASSWORD_FILE": pw, "DATABASE_URL": "postgres://db/timeline"},
	} {
		var name string
		for k := range e {
			if strings.HasSuffix(k, "_FILE") {
				name = k
			}
		}
		if _, err := loadConfig(env(e)); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%v: got %v, want an error naming %s", e, err, name)
		}
	}
}
