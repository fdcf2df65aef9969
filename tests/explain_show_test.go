package tests

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestExplainShow prints the EXPLAIN (ANALYZE, BUFFERS) plans of the growth
// cases named in EXPLAIN_SHOW (comma-separated; "all" for every one) on
// generated data of EXPLAIN_ROWS events: a tool for reading plans by hand,
// with EXPLAIN_KEEP_DB to reuse a kept database. It asserts nothing.
func TestExplainShow(t *testing.T) {
	show := os.Getenv("EXPLAIN_SHOW")
	if show == "" {
		t.Skip("set EXPLAIN_SHOW to the cases whose plans to print")
	}
	d := explainSetup(t, explainRowCount(t))
	for _, c := range explainGrowthCases(d) {
		if show != "all" && !strings.Contains(","+show+",", ","+c.name+",") {
			continue
		}
		lines, err := d.store.ExplainEvents(context.Background(), c.filter, true)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		p := explainParsePlan(lines)
		t.Logf("%s: %d rows, %d read, %d buffers (as TestExplainGrowth counts them):\n%s",
			c.name, p.nodes[0].rows, p.rowsRead, p.buffers, strings.Join(lines, "\n"))
	}
}

// TestGenerateKept creates (or finds) the kept database EXPLAIN_KEEP_DB of
// EXPLAIN_ROWS generated events, for manual runs and tests/bench. It skips
// unless EXPLAIN_KEEP_DB names a database (timeline_<name>).
func TestGenerateKept(t *testing.T) {
	if !explainKeepName.MatchString(os.Getenv("EXPLAIN_KEEP_DB")) {
		t.Skip("set EXPLAIN_KEEP_DB=timeline_<name> (and EXPLAIN_ROWS) to generate a kept database")
	}
	d := explainSetup(t, explainRowCount(t))
	t.Logf("%s", d)
}
