package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/csto-timeline/timeline/models"
	"github.com/csto-timeline/timeline/seed"
)

// TestImportCommand imports a TimelineJS file with the command: a dry run
// writes nothing, the import creates the events with revisions by "cli",
// and a file with problems writes nothing and lists them.
func TestImportCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "i.db")
	store, err := models.Open(ctx, models.Config{SQLitePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := seed.Load(ctx, store, seed.CSTO); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "tl.json")
	doc := `{"events": [{"unique_id": "cli-one", "start_date": {"year": 2002, "month": 4}, "text": {"headline": "From the command"},
		"group": "meeting", "sources": [{"source_id": "bohdan-2020-csto", "quote": "Up until 2002, the organization existed almost exclusively on paper."}]}]}`
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	e := env(map[string]string{"SQLITE_PATH": path})
	var out bytes.Buffer
	if err := run(ctx, []string{"timeline", "import", "--timeline", "csto", "--dry-run", file}, e, &out); err != nil {
		t.Fatalf("dry run: %v", err)
	}
	var rep struct {
		Created int  `json:"created"`
		DryRun  bool `json:"dry_run"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || rep.Created != 1 || !rep.DryRun {
		t.Fatalf("dry run: got %s (%v), want created 1", out.String(), err)
	}
	if _, err := store.FindEventByID(ctx, "cli-one"); err == nil {
		t.Fatal("a dry run wrote the event")
	}
	out.Reset()
	if err := run(ctx, []string{"timeline", "import", "--timeline", "csto", file}, e, &out); err != nil {
		t.Fatalf("import: %v", err)
	}
	ev, err := store.FindEventByID(ctx, "cli-one")
	if err != nil || ev.Span.EDTF != "2002-04" || ev.Span.Precision != models.PrecisionMonth {
		t.Fatalf("imported event: got %+v, %v; want 2002-04 at month precision", ev.Span, err)
	}
	revs, _, err := store.FindRevisions(ctx, "cli-one", 0, 5)
	if err != nil || len(revs) != 1 || revs[0].KeyID != "cli" {
		t.Errorf("revisions: got %+v, %v; want one by cli", revs, err)
	}
	bad := strings.Replace(doc, `"month": 4`, `"month": 13`, 1)
	bad = strings.Replace(bad, `"group": "meeting"`, `"group": "x"`, 1)
	if err := os.WriteFile(file, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	err = run(ctx, []string{"timeline", "import", "--timeline", "csto", file}, e, &out)
	if err == nil || !strings.Contains(err.Error(), "/events/0: /start_date") {
		t.Errorf("bad file: got %v, want the problem of /events/0", err)
	}
	// The command writes through the editorial rules of seed/EDITORIAL.md,
	// as the API does: a quote with Markdown in it is refused.
	md := strings.Replace(doc, `"quote": "Up until 2002,`, `"quote": "[Up until 2002](#),`, 1)
	md = strings.Replace(md, "cli-one", "cli-markdown", 1)
	if err := os.WriteFile(file, []byte(md), 0o600); err != nil {
		t.Fatal(err)
	}
	err = run(ctx, []string{"timeline", "import", "--timeline", "csto", file}, e, &out)
	if err == nil || !strings.Contains(err.Error(), "/events/0: /sources/0/quote") || !strings.Contains(err.Error(), "Markdown") {
		t.Errorf("quote with Markdown: got %v, want the editorial problem of /events/0/sources/0/quote", err)
	}
	if _, err := store.FindEventByID(ctx, "cli-markdown"); err == nil {
		t.Error("a refused import wrote the event")
	}
}
