//go:build race

package tests

// raceEnabled is true when the tests run with -race. The embedded SQLite
// driver is C translated to Go, and under the race detector every one of
// its memory accesses is instrumented: bulk tests skip SQLite then. The
// fault tests build the binary with -race too when this is true.
const raceEnabled = true
