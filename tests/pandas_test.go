package tests

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/csto-timeline/timeline/tests/skipreport"
)

// pandasPython is the interpreter with pandas (Debian's python3-pandas;
// .ci/run installs it).
const pandasPython = "/usr/bin/python3"

// pandasScript loads the CSV and NDJSON exports the way a notebook would,
// in one line each, and reports what pandas made of them.
const pandasScript = `
import json, sys
import pandas as pd
base = sys.argv[1]
df = pd.read_csv(base + "/v1/events.csv?year=2019", parse_dates=["start_date", "end_date", "updated_at"])
nd = pd.read_json(base + "/v1/events.ndjson?year=2019", lines=True)
print(json.dumps({
    "columns": list(df.columns),
    "dtypes": {c: str(t) for c, t in df.dtypes.items()},
    "ids": df["id"].tolist(),
    "first_start": df["start_date"].iloc[0].strftime("%Y-%m-%d"),
    "approximate": [bool(x) for x in df["approximate"]],
    "nd_ids": nd["id"].tolist(),
    "nd_quote": nd["sources"].iloc[0][0]["quote"],
}))
`

// TestPandasReadsExports runs real pandas against the real server.
func TestPandasReadsExports(t *testing.T) {
	if err := exec.Command(pandasPython, "-c", "import pandas").Run(); err != nil {
		skipreport.Missing(t, "pandas for %s (apt-get install python3-pandas): %v", pandasPython, err)
	}
	forEachBackend(t, func(t *testing.T, b *backend) {
		out, err := exec.Command(pandasPython, "-c", pandasScript, b.server.URL).Output()
		if err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				t.Fatalf("pandas: %v\n%s", err, ee.Stderr)
			}
			t.Fatal(err)
		}
		var got struct {
			Columns     []string          `json:"columns"`
			Dtypes      map[string]string `json:"dtypes"`
			IDs         []string          `json:"ids"`
			FirstStart  string            `json:"first_start"`
			Approximate []bool            `json:"approximate"`
			NDIDs       []string          `json:"nd_ids"`
			NDQuote     string            `json:"nd_quote"`
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("pandas output %q: %v", out, err)
		}
		events := b.events(t, "year=2019&limit=500").Data
		wantCols := strings.Split("id,timeline,title,summary,start_date,end_date,date_precision,approximate,display_date,"+
			"edtf,type,status,actors,actor_ids,places,place_ids,tags,quotes,source_ids,updated_at", ",")
		if diff := cmp.Diff(wantCols, got.Columns); diff != "" {
			t.Errorf("columns (-want +pandas):\n%s", diff)
		}
		for _, c := range []string{"start_date", "end_date", "updated_at"} {
			if !strings.HasPrefix(got.Dtypes[c], "datetime64") {
				t.Errorf("column %s: got dtype %q, want datetime64", c, got.Dtypes[c])
			}
		}
		if got.Dtypes["approximate"] != "bool" {
			t.Errorf("column approximate: got dtype %q, want bool", got.Dtypes["approximate"])
		}
		if diff := cmp.Diff(ids(events), got.IDs); diff != "" {
			t.Errorf("CSV ids (-json +pandas):\n%s", diff)
		}
		if diff := cmp.Diff(ids(events), got.NDIDs); diff != "" {
			t.Errorf("NDJSON ids (-json +pandas):\n%s", diff)
		}
		if got.FirstStart != events[0].StartDate || got.NDQuote != events[0].Sources[0].Quote {
			t.Errorf("got first start %s and quote %q, want %s and %q", got.FirstStart, got.NDQuote, events[0].StartDate, events[0].Sources[0].Quote)
		}
	})
}
