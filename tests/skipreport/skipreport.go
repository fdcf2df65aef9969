// Package skipreport lets tests that need a tool from outside Go (a
// PostgreSQL server, Chromium, npm packages, pandas) skip when it is
// missing, fail instead when CI=true, and have the reasons summed up at the
// end of a plain `go test ./...`, whose output of passing packages is
// otherwise thrown away.
package skipreport

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var (
	mu      sync.Mutex
	reasons = map[string][]string{} // reason -> names of the tests it skipped
)

// CI reports whether the run must have every tool (CI=true).
func CI() bool { return os.Getenv("CI") == "true" }

// Missing skips t because what it needs is missing, saying why in one line
// (what is missing and how to install it), or fails it when CI=true.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	why := fmt.Sprintf(format, args...)
	if CI() {
		t.Fatalf("CI=true requires it: %s", why)
	}
	Note(t.Name(), why)
	t.Skip("skipped: " + why)
}

// Note records that what (a test or a part of the suite) was skipped for
// why, without skipping anything itself.
func Note(what, why string) {
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(reasons[why], what) {
		reasons[why] = append(reasons[why], what)
	}
}

// Summary is the report of what was skipped and why, "" when nothing was.
func Summary(pkg string) string {
	mu.Lock()
	defer mu.Unlock()
	if len(reasons) == 0 {
		return ""
	}
	var b strings.Builder
	n := 0
	for _, tests := range reasons {
		n += len(tests)
	}
	fmt.Fprintf(&b, "%s: SKIPPED %d test(s) or parts for missing tools (CI=true would fail them):\n", pkg, n)
	for _, why := range slices.Sorted(func(yield func(string) bool) {
		for k := range reasons {
			if !yield(k) {
				return
			}
		}
	}) {
		tests := slices.Sorted(slices.Values(reasons[why]))
		fmt.Fprintf(&b, "  - %s\n      %s\n", strings.Join(tests, ", "), why)
	}
	return b.String()
}

// Print writes the summary where the person who ran go test sees it. In
// package list mode (`go test ./...`) without -v, go test shows a passing
// package's output only as its "ok" line, so the summary goes to the go
// command's own standard error when that can be found (Linux /proc), and
// to standard output otherwise (shown with -v or when the package fails).
func Print(pkg string) {
	s := Summary(pkg)
	if s == "" {
		return
	}
	var w io.Writer = os.Stdout
	if !testing.Verbose() {
		if f := parentStderr(); f != nil {
			defer f.Close()
			w = f
		}
	}
	fmt.Fprint(w, s)
}

// parentStderr opens the standard error of the process that ran this test
// binary, when that is the go command and writing to it cannot clobber
// its output: a terminal or a pipe, or a file it appends to. (A file it
// writes at its own offset, as `go test ./... >log` does, would have its
// next lines written over this text.)
func parentStderr() *os.File {
	ppid := os.Getppid()
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", ppid))
	if err != nil || strings.TrimSpace(string(comm)) != "go" {
		return nil
	}
	path := fmt.Sprintf("/proc/%d/fd/2", ppid)
	if fi, err := os.Stat(path); err != nil || (fi.Mode().IsRegular() && !appending(ppid, 2)) {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil
	}
	return f
}

// appending reports whether process pid opened its file descriptor fd with
// O_APPEND, from the octal flags in /proc/PID/fdinfo/FD.
func appending(pid, fd int) bool {
	info, err := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%d", pid, fd))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(info), "\n") {
		if v, ok := strings.CutPrefix(line, "flags:"); ok {
			flags, err := strconv.ParseUint(strings.TrimSpace(v), 8, 64)
			return err == nil && flags&uint64(os.O_APPEND) != 0
		}
	}
	return false
}
