package tests

// Tests of /oembed, /docs, the pages' sizes and the vendored TimelineJS.

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestPagesOEmbed checks the oEmbed answer for an explorer URL and for an
// embed URL, each found through the discovery link of its page.
func TestPagesOEmbed(t *testing.T) {
	for _, path := range []string{"/timelines/csto?year=2019", "/embed/timelines/csto?year=2019"} {
		t.Run(path, func(t *testing.T) { pagesOEmbed(t, path) })
	}
}

func pagesOEmbed(t *testing.T, path string) {
	b := shared[0]
	page := b.get(t, path)
	page.wantStatus(t, http.StatusOK)
	links := pagesFind(pagesParse(t, page.body), "link", "type", "application/json+oembed")
	if len(links) != 1 {
		t.Fatalf("got %d oEmbed discovery links, want 1", len(links))
	}
	discovery, err := url.Parse(timelinejsBrowserAttr(links[0], "href"))
	if err != nil || discovery.Path != "/oembed" {
		t.Fatalf("discovery link %q: want /oembed (%v)", timelinejsBrowserAttr(links[0], "href"), err)
	}
	r := b.get(t, discovery.RequestURI()+"&maxwidth=500")
	r.wantStatus(t, http.StatusOK)
	var o struct {
		Version, Type, Title, HTML string
		Width, Height              int
	}
	r.decode(t, &o)
	if o.Version != "1.0" || o.Type != "rich" || o.Width != 500 || o.Height != 600 {
		t.Errorf("got %+v, want version 1.0, type rich, 500 by 600", o)
	}
	frame := pagesFind(pagesParse(t, []byte(o.HTML)), "iframe", "", "")
	if len(frame) != 1 {
		t.Fatalf("got html %q, want one iframe", o.HTML)
	}
	src, _ := url.Parse(timelinejsBrowserAttr(frame[0], "src"))
	if src.Path != "/embed/timelines/csto" || src.Query().Get("year") != "2019" || timelinejsBrowserAttr(frame[0], "title") == "" {
		t.Errorf("got iframe %q, want a titled frame of /embed/timelines/csto?year=2019", o.HTML)
	}
	if emb := b.get(t, src.RequestURI()); emb.status != http.StatusOK {
		t.Errorf("GET the iframe's src %s: got %d, want 200", src.RequestURI(), emb.status)
	}
}

// TestPagesDocs checks that /docs shows every operation of openapi.yaml,
// and that the README examples it links resolve.
func TestPagesDocs(t *testing.T) {
	spec := contractLoadSpec(t)
	b := shared[0]
	r := b.get(t, "/docs")
	r.wantStatus(t, http.StatusOK)
	doc := pagesParse(t, r.body)
	for _, op := range spec.contractOperations() {
		method, path, _ := strings.Cut(op, " ")
		o := spec.doc.Paths.Value(path).GetOperation(method)
		h := pagesFind(doc, "h3", "id", o.OperationID)
		if len(h) != 1 || !strings.Contains(timelinejsBrowserText(h[0]), path) {
			t.Errorf("/docs: got no heading for %s (#%s)", op, o.OperationID)
		}
	}
	// The test router has no README; one that has it shows its examples.
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	srv := pagesServer(t, b, readme)
	res, err := srv.Client().Get(srv.URL + "/docs")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(res.Body)
	res.Body.Close()
	examples := pagesFind(pagesParse(t, buf.Bytes()), "ul", "class", "examples")
	if len(examples) != 1 {
		t.Fatalf("/docs with the README: got %d example lists, want 1", len(examples))
	}
	n := 0
	for _, a := range pagesFind(examples[0], "a", "", "") {
		href := timelinejsBrowserAttr(a, "href")
		ex := b.get(t, href)
		if ex.status != http.StatusOK && !(strings.Contains(href, "yaer") && ex.status == http.StatusBadRequest) {
			t.Errorf("README example %s: got %d, want 200", href, ex.status)
		}
		n++
	}
	if n < 5 {
		t.Errorf("got %d README example links, want the README's examples", n)
	}
}

// TestPagesSizes measures what the issue bounds: the explorer's first HTML
// for the article's timeline under 100 KB, the project's own JavaScript
// and CSS under 50 KB together. Vendored files are listed, not bounded.
func TestPagesSizes(t *testing.T) {
	b := shared[0]
	r := b.get(t, "/timelines/csto")
	r.wantStatus(t, http.StatusOK)
	if n := len(r.body); n >= 100<<10 {
		t.Errorf("GET /timelines/csto: got %d bytes of HTML, want under 100 KB", n)
	} else {
		t.Logf("GET /timelines/csto: %d bytes of HTML", n)
	}
	own := 0
	static := "../api/web/static"
	entries, err := os.ReadDir(static)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if ext := filepath.Ext(e.Name()); !e.IsDir() && (ext == ".js" || ext == ".css") {
			info, _ := e.Info()
			own += int(info.Size())
			t.Logf("own %s: %d bytes", e.Name(), info.Size())
		}
	}
	if own == 0 || own >= 50<<10 {
		t.Errorf("own JavaScript and CSS: got %d bytes, want some, under 50 KB", own)
	}
	_ = filepath.WalkDir(filepath.Join(static, "vendor"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			info, _ := d.Info()
			t.Logf("vendored %s: %d bytes", strings.TrimPrefix(p, static+"/"), info.Size())
		}
		return nil
	})
}

// TestPagesVendoredTimelineJS checks that the TimelineJS the binary embeds
// is the version the browser tests pin (api/web/update-timelinejs.sh
// vendors it), with its license.
func TestPagesVendoredTimelineJS(t *testing.T) {
	var pin struct{ Dependencies map[string]string }
	data, err := os.ReadFile(timelinejsBrowserPackageDir + "/package.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &pin); err != nil {
		t.Fatal(err)
	}
	dir := "../api/web/static/vendor/timelinejs"
	version, err := os.ReadFile(dir + "/VERSION")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(string(version)), pin.Dependencies["@knight-lab/timelinejs"]; got != want {
		t.Errorf("vendored TimelineJS %s, tests pin %s: run api/web/update-timelinejs.sh", got, want)
	}
	license, err := os.ReadFile(dir + "/LICENSE")
	if err != nil || !strings.Contains(string(license), "Mozilla Public License") {
		t.Errorf("vendored TimelineJS: got no MPL-2.0 LICENSE (%v)", err)
	}
	// When the pinned package is installed, the vendored build is its,
	// file by file, less the source-map comments the script drops.
	if _, err := os.Stat(timelinejsBrowserLibDir + "/package.json"); err != nil {
		t.Logf("pinned package not installed, build not compared: %v", err)
		return
	}
	strip := regexp.MustCompile(`(?m)/\*# sourceMappingURL=[^*]*\*/|^//# sourceMappingURL=.*\n?`)
	n := 0
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "VERSION" {
			return err
		}
		rel := strings.TrimPrefix(p, dir+"/")
		from := timelinejsBrowserLibDir + "/dist/" + rel
		if rel == "LICENSE" {
			from = timelinejsBrowserLibDir + "/LICENSE"
		}
		installed, err := os.ReadFile(from)
		if err != nil {
			return err
		}
		vendored, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !bytes.Equal(strip.ReplaceAll(installed, nil), vendored) {
			t.Errorf("vendored %s differs from the pinned package's %s: run api/web/update-timelinejs.sh", rel, from)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 8 {
		t.Errorf("compared %d vendored files, want the script, its license, the CSS and 5 icon fonts", n)
	}
}

// TestPagesReadmeScreenshot checks that the README opens (after its title)
// with a screenshot of the explorer: a committed PNG, small enough to keep
// in the repository, and that it then says what each page is for.
func TestPagesReadmeScreenshot(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var first string
	for _, line := range strings.Split(string(readme), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "# ") {
			first = line
			break
		}
	}
	m := regexp.MustCompile(`^!\[[^\]]*explorer[^\]]*\]\(([^)\s]+)\)$`).FindStringSubmatch(first)
	if m == nil {
		t.Fatalf("README opens with %q, want a screenshot of the explorer", first)
	}
	png, err := os.ReadFile(filepath.Join("..", m[1]))
	if err != nil {
		t.Fatalf("README's screenshot: %v", err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) > 100<<10 {
		t.Errorf("README's screenshot %s: got %d bytes, want a PNG under 100 KB", m[1], len(png))
	}
	for _, page := range []string{"`/`", "`/timelines/{id}`", "`/events/{id}`", "`/embed/timelines/{id}`", "`/oembed?url=…`", "`/docs`"} {
		if !regexp.MustCompile(`(?m)^\| ` + regexp.QuoteMeta(page) + ` \| \S`).Match(readme) {
			t.Errorf("README does not say what %s is for", page)
		}
	}
}
