package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/csto-timeline/timeline/api"
	"github.com/csto-timeline/timeline/models"
	"github.com/csto-timeline/timeline/seed"
)

const importUsage = `usage:
  timeline import --timeline ID [--format ndjson|csv|timelinejs|sheets] [--mode merge|replace] [--dry-run] FILE`

// runImport is the operator's twin of POST /v1/timelines/{id}/import: the
// same readers and the same transaction, attributed to the key id "cli".
// It prints the report as JSON, or every problem, one a line.
func runImport(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	timeline := fs.String("timeline", "", "the timeline to import into")
	format := fs.String("format", "", "ndjson, csv, timelinejs or sheets; by default from the file's extension")
	mode := fs.String("mode", models.ImportMerge, "merge, or replace to retract the timeline's events the file leaves out")
	dryRun := fs.Bool("dry-run", false, "report what the import would do, write nothing")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 || *timeline == "" ||
		(*mode != models.ImportMerge && *mode != models.ImportReplace) {
		return fmt.Errorf("import: bad arguments\n%s", importUsage)
	}
	path := fs.Arg(0)
	if *format == "" {
		switch strings.ToLower(filepath.Ext(path)) {
		case ".ndjson", ".jsonl":
			*format = models.ImportNDJSON
		case ".csv":
			*format = models.ImportCSV
		case ".json":
			*format = models.ImportTimelineJS
		default:
			return fmt.Errorf("import: cannot tell the format of %s; give --format", path)
		}
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	store, err := models.Open(ctx, models.Config{DatabaseURL: cfg.databaseURL, SQLitePath: cfg.sqlitePath,
		Editorial: seed.Editorial()})
	if err != nil {
		return err
	}
	defer store.Close()
	if applied, latest, err := store.SchemaStatus(ctx); err != nil {
		return err
	} else if applied < latest {
		return fmt.Errorf("import: database schema is at version %d, needs %d: run `timeline migrate` first", applied, latest)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	opts := models.ImportOptions{Timeline: *timeline, Mode: *mode, DryRun: *dryRun,
		Meta: models.WriteMeta{KeyID: "cli", Comment: "import of " + filepath.Base(path)}}
	rep, err := api.RunImport(ctx, store, *format, f, opts)
	var v *models.ValidationError
	if errors.As(err, &v) {
		var b strings.Builder
		for _, f := range v.Fields {
			fmt.Fprintf(&b, "\n  %s: %s", f.Field, f.Reason)
		}
		return fmt.Errorf("import: nothing written; %d problems:%s", len(v.Fields), b.String())
	}
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	return jsonOut(stdout, api.NewImportReport(*timeline, *format, opts, rep))
}

func jsonOut(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
