package api

import (
	"os"
	"testing"

	"github.com/csto-timeline/timeline/tests/skipreport"
)

// TestMain reports what the package's tests skipped for want of a tool
// (PostgreSQL for the router fuzz target's seed run).
func TestMain(m *testing.M) {
	code := m.Run()
	skipreport.Print("api")
	os.Exit(code)
}
