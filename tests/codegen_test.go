package tests

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/csto-timeline/timeline/tests/skipreport"
)

// oapiCodegen is the pinned generator, run with `go run`.
const oapiCodegen = "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2"

// TestCodegenClient generates a Go client from the unmodified openapi.yaml
// with oapi-codegen, builds it with tests/testdata/codegen/main.go (its
// own module, dependencies pinned in its go.sum), and has it call the real
// router: listEvents, getEvent, a 404 and a 400. Fetching the generator or
// the client's dependencies needs the Go module proxy: without it the test
// is skipped (failed under CI=true); a generator or compiler error fails.
func TestCodegenClient(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a generated client")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		skipreport.Missing(t, "the go command on the PATH: %v", err)
	}
	spec, err := filepath.Abs("../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range []string{"main.go", "go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join("testdata/codegen", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gocmd := func(args ...string) ([]byte, error) {
		cmd := exec.Command(goBin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
		return cmd.CombinedOutput()
	}
	if out, err := gocmd("run", oapiCodegen, "-version"); err != nil {
		skipreport.Missing(t, "oapi-codegen (go run %s: the Go module proxy must be reachable): %v\n%s", oapiCodegen, err, out)
	}
	if out, err := gocmd("mod", "download"); err != nil {
		skipreport.Missing(t, "the generated client's modules (go mod download in testdata/codegen): %v\n%s", err, out)
	}
	if out, err := gocmd("run", oapiCodegen, "-generate", "types,client", "-package", "main", "-o", "client.gen.go", spec); err != nil {
		t.Fatalf("oapi-codegen on openapi.yaml: %v\n%s", err, out)
	}
	if out, err := gocmd("build", "-o", "client", "."); err != nil {
		t.Fatalf("build the generated client: %v\n%s", err, out)
	}

	forEachBackend(t, func(t *testing.T, b *backend) {
		cmd := exec.Command(filepath.Join(dir, "client"), b.server.URL)
		out, err := cmd.Output()
		if err != nil {
			stderr := ""
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("generated client: %v\n%s", err, stderr)
		}
		var got struct {
			ListStatus     int      `json:"list_status"`
			ListIDs        []string `json:"list_ids"`
			GetStatus      int      `json:"get_status"`
			GetID          string   `json:"get_id"`
			GetQuotes      []string `json:"get_quotes"`
			MissingStatus  int      `json:"missing_status"`
			MissingProblem int      `json:"missing_problem_status"`
			BadStatus      int      `json:"bad_status"`
			BadParams      []string `json:"bad_params"`
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("client output %s: %v", out, err)
		}
		// What the same requests answer to a plain HTTP client.
		var page eventPage
		r := b.get(t, "/v1/events?year=2019&limit=5")
		r.wantStatus(t, http.StatusOK)
		r.decode(t, &page)
		var wantIDs []string
		for _, e := range page.Data {
			wantIDs = append(wantIDs, e.ID)
		}
		var event eventDoc
		one := b.get(t, "/v1/events/"+wantIDs[0])
		one.wantStatus(t, http.StatusOK)
		one.decode(t, &event)
		var wantQuotes []string
		for _, s := range event.Sources {
			wantQuotes = append(wantQuotes, s.Quote)
		}
		if diff := cmp.Diff(wantIDs, got.ListIDs); diff != "" || got.ListStatus != http.StatusOK {
			t.Errorf("listEvents: got status %d, ids (-want +got):\n%s", got.ListStatus, diff)
		}
		if got.GetStatus != http.StatusOK || got.GetID != wantIDs[0] || !slices.Equal(got.GetQuotes, wantQuotes) {
			t.Errorf("getEvent: got %d %q %q, want 200 %q %q", got.GetStatus, got.GetID, got.GetQuotes, wantIDs[0], wantQuotes)
		}
		if got.MissingStatus != http.StatusNotFound || got.MissingProblem != http.StatusNotFound {
			t.Errorf("getEvent no-such-event: got %d with a problem of status %d, want 404 and a decoded 404 problem",
				got.MissingStatus, got.MissingProblem)
		}
		if got.BadStatus != http.StatusBadRequest || !slices.Equal(got.BadParams, []string{"limit"}) {
			t.Errorf("listEvents limit=100000: got %d naming %q, want 400 naming [limit]", got.BadStatus, got.BadParams)
		}
	})
}
