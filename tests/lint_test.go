package tests

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/csto-timeline/timeline/tests/skipreport"
)

// lintDir holds the pinned OpenAPI linters (npm ci --prefix
// tests/testdata/lint) and their configurations.
const lintDir = "testdata/lint"

// TestOpenAPILint lints openapi.yaml with Redocly CLI's recommended rules
// and Spectral's spectral:oas ruleset, as API tooling will: no error and
// no warning from either.
func TestOpenAPILint(t *testing.T) {
	bin := func(name string) string {
		p, _ := filepath.Abs(filepath.Join(lintDir, "node_modules", ".bin", name))
		if _, err := os.Stat(p); err != nil {
			skipreport.Missing(t, "the OpenAPI linters from npm (npm ci --prefix tests/testdata/lint): %v", err)
		}
		return p
	}
	redocly, spectral := bin("redocly"), bin("spectral")
	spec, err := filepath.Abs("../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	run := func(name string, args ...string) ([]byte, error) {
		cmd := exec.Command(name, args...)
		cmd.Dir = lintDir
		cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true", "NO_COLOR=1")
		return cmd.Output()
	}

	t.Run("redocly", func(t *testing.T) {
		out, err := run(redocly, "lint", "--config", "redocly.yaml", "--format", "json", spec)
		var report struct {
			Totals   struct{ Errors, Warnings int } `json:"totals"`
			Problems []struct {
				RuleID   string `json:"ruleId"`
				Severity string `json:"severity"`
				Message  string `json:"message"`
				Location []struct {
					Pointer string `json:"pointer"`
				} `json:"location"`
			} `json:"problems"`
		}
		if jerr := json.Unmarshal(out, &report); jerr != nil {
			t.Fatalf("redocly lint: %v, output %s: %v", err, truncate(string(out)), jerr)
		}
		for _, p := range report.Problems {
			where := ""
			if len(p.Location) > 0 {
				where = p.Location[0].Pointer
			}
			t.Errorf("redocly %s %s at %s: %s", p.Severity, p.RuleID, where, p.Message)
		}
		if err != nil || report.Totals.Errors+report.Totals.Warnings > 0 {
			t.Errorf("redocly lint: got %v, %d errors and %d warnings; want none", err, report.Totals.Errors, report.Totals.Warnings)
		}
	})
	t.Run("spectral", func(t *testing.T) {
		out, err := run(spectral, "lint", "--ruleset", ".spectral.yaml", "--format", "json", "--fail-severity", "hint", "--quiet", spec)
		var problems []struct {
			Code     string   `json:"code"`
			Message  string   `json:"message"`
			Severity int      `json:"severity"`
			Path     []string `json:"path"`
		}
		// The JSON comes first; a sentence may follow it.
		if jerr := json.NewDecoder(bytes.NewReader(out)).Decode(&problems); jerr != nil {
			t.Fatalf("spectral lint: %v, output %s: %v", err, truncate(string(out)), jerr)
		}
		for _, p := range problems {
			t.Errorf("spectral %s (severity %d) at %v: %s", p.Code, p.Severity, p.Path, p.Message)
		}
		if err != nil {
			t.Errorf("spectral lint: got %v, want exit 0", err)
		}
	})
}
