package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/csto-timeline/timeline/tests/skipreport"
)

// The browser test loads the service's TimelineJS document into the real
// TimelineJS3 library (the npm package pinned in testdata/timelinejs, which
// .ci/run installs with npm ci) in real headless Chromium (Debian's
// chromium; .ci/run installs it), the way a newcomer's page would, and reads
// what the library rendered.
const (
	timelinejsBrowserPackageDir = "testdata/timelinejs"
	timelinejsBrowserLibDir     = timelinejsBrowserPackageDir + "/node_modules/@knight-lab/timelinejs"
	// timelinejsBrowserBudget is the virtual time Chromium gives the page:
	// ample for TimelineJS to fetch the document, build its slides and run
	// its animations, without waiting that long in wall time.
	timelinejsBrowserBudget = "10000"
)

// timelinejsBrowserPage is the embed a newcomer would write: the library's
// CSS and JS, a div, and new TL.Timeline with the API's URL. The rest only
// records what the page saw for the test: uncaught errors, and the
// library's "ready" event, which it fires once the slides are built.
var timelinejsBrowserPage = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>TimelineJS embed test</title>
<link rel="stylesheet" href="/timelinejs/css/timeline.css">
<script src="/timelinejs/js/timeline.js"></script>
</head>
<body style="margin:0">
<div id="timeline-embed" style="width:100%;height:640px"></div>
<pre id="page-errors" style="margin:0;font-size:11px"></pre>
<script>
function noteError(s) { document.getElementById('page-errors').textContent += s + '\n'; }
window.addEventListener('error', function (e) { noteError('error: ' + e.message); });
window.addEventListener('unhandledrejection', function (e) { noteError('unhandled rejection: ' + e.reason); });
var timeline = new TL.Timeline('timeline-embed', {{.}});
timeline.on('ready', function () { document.body.setAttribute('data-timelinejs', 'ready'); });
</script>
</body>
</html>
`))

// TestTimelineJSBrowser renders the csto timeline with TimelineJS3 in
// headless Chromium and checks the title slide, a slide and a time-axis
// marker for every event with the API's headline and display date, and no
// TimelineJS error message. The page is served from another origin than
// the API, so the library's fetch also goes through the API's CORS.
func TestTimelineJSBrowser(t *testing.T) {
	chromium, version := timelinejsBrowserRequire(t)
	b := shared[0] // PostgreSQL when it is available
	t.Logf("backend %s, TimelineJS %s, %s", b.name, version, chromium)

	var tl struct{ Title string }
	r := b.get(t, "/v1/timelines/csto")
	r.wantStatus(t, http.StatusOK)
	r.decode(t, &tl)
	events := b.allEvents(t, "timeline=csto&limit=500")
	byID := map[string]eventDoc{}
	for _, e := range events {
		byID[e.ID] = e
	}
	for _, id := range []string{"csto-2002-activation", "csto-2019-10-battle-brotherhood", "csto-2020-05-26-lavrov-biosecurity"} {
		if _, ok := byID[id]; !ok {
			t.Fatalf("the csto timeline has no event %s", id)
		}
	}

	site, notFound := timelinejsBrowserSite(t, b.server.URL+"/v1/events?format=timelinejs&timeline=csto")
	start := time.Now()
	dom := timelinejsBrowserRun(t, chromium, "--dump-dom", site.URL+"/")
	t.Logf("Chromium rendered and dumped the page in %v", time.Since(start).Round(time.Millisecond))
	doc, err := html.Parse(bytes.NewReader(dom))
	if err != nil {
		t.Fatalf("parse the dumped DOM: %v", err)
	}

	// TimelineJS reports a document it cannot load or use (a failed or
	// cross-origin-blocked fetch, invalid JSON, a config error) by writing
	// "Error: ..." into a .tl-message-content element instead of slides.
	for _, m := range timelinejsBrowserFind(doc, "tl-message-content") {
		if text := timelinejsBrowserText(m); strings.Contains(text, "Error") || strings.Contains(text, "Loading") {
			t.Errorf("TimelineJS shows the message %q", text)
		}
	}
	for _, n := range timelinejsBrowserFindID(doc, "page-errors") {
		if text := timelinejsBrowserText(n); text != "" {
			t.Errorf("the page had script errors: %s", text)
		}
	}
	if body := timelinejsBrowserFindTag(doc, "body"); len(body) != 1 || timelinejsBrowserAttr(body[0], "data-timelinejs") != "ready" {
		t.Errorf("TimelineJS never fired its ready event")
	}

	slides := timelinejsBrowserFind(doc, "tl-slide")
	if len(slides) == 0 {
		t.Fatalf("TimelineJS rendered no .tl-slide; DOM:\n%s", truncate(string(dom)))
	}
	if got, want := len(slides), len(events)+1; got != want {
		t.Errorf("got %d slides, want %d: the title and one per event", got, want)
	}
	titles := timelinejsBrowserFind(doc, "tl-slide-titleslide")
	if len(titles) != 1 {
		t.Errorf("got %d title slides, want 1", len(titles))
	} else if got := timelinejsBrowserFirstText(titles[0], "tl-headline-title"); got != tl.Title {
		t.Errorf("title slide headline %q, want the timeline's title %q", got, tl.Title)
	}
	seen := map[string]bool{}
	for _, s := range slides {
		id := timelinejsBrowserAttr(s, "id")
		if timelinejsBrowserHasClass(s, "tl-slide-titleslide") {
			continue
		}
		e, ok := byID[id]
		if !ok {
			t.Errorf("slide %q is no csto event", id)
			continue
		}
		seen[id] = true
		if got := timelinejsBrowserFirstText(s, "tl-headline"); got != timelinejsBrowserSpace(e.Title) {
			t.Errorf("slide %s headline %q, want %q", id, got, e.Title)
		}
		if got := timelinejsBrowserFirstText(s, "tl-headline-date"); e.DisplayDate != "" && got != e.DisplayDate {
			t.Errorf("slide %s date %q, want %q", id, got, e.DisplayDate)
		}
	}
	for _, e := range events {
		if !seen[e.ID] {
			t.Errorf("no slide for %s (%q)", e.ID, e.Title)
		}
		markers := timelinejsBrowserFindID(doc, e.ID+"-marker")
		if len(markers) != 1 {
			t.Errorf("got %d time-axis markers for %s, want 1", len(markers), e.ID)
		} else if got := timelinejsBrowserFirstText(markers[0], "tl-headline"); got != timelinejsBrowserSpace(e.Title) {
			t.Errorf("marker %s headline %q, want %q", e.ID, got, e.Title)
		}
	}

	// A screenshot, to see it; TIMELINEJS_SCREENSHOT keeps it at that path.
	shot := os.Getenv("TIMELINEJS_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(t.TempDir(), "timelinejs.png")
	}
	start = time.Now()
	timelinejsBrowserRun(t, chromium, "--screenshot="+shot, "--window-size=1280,800", site.URL+"/")
	t.Logf("Chromium took the screenshot %s in %v", shot, time.Since(start).Round(time.Millisecond))
	timelinejsBrowserCheckPNG(t, shot)
	if paths := notFound(); len(paths) > 0 {
		t.Errorf("the page asked for files the TimelineJS package does not have: %v", paths)
	}
}

// timelinejsBrowserRequire finds Chromium and the pinned TimelineJS3
// package, skipping when either is missing (failing under CI=true), and
// returns Chromium's path and the library's version.
func timelinejsBrowserRequire(t *testing.T) (string, string) {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		skipreport.Missing(t, format, args...)
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		missing("headless Chromium (apt-get install chromium): %v", err)
	}
	var pin, got struct {
		Version      string
		Dependencies map[string]string
	}
	for path, v := range map[string]any{
		timelinejsBrowserPackageDir + "/package.json": &pin,
		timelinejsBrowserLibDir + "/package.json":     &got,
	} {
		data, err := os.ReadFile(path)
		if err != nil {
			missing("TimelineJS3 from npm (npm ci --prefix tests/testdata/timelinejs): %v", err)
		}
		if err := json.Unmarshal(data, v); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	if want := pin.Dependencies["@knight-lab/timelinejs"]; got.Version != want {
		t.Fatalf("installed TimelineJS is %s, package.json pins %s: run npm ci --prefix tests/testdata/timelinejs", got.Version, want)
	}
	for _, f := range []string{"dist/js/timeline.js", "dist/css/timeline.css"} {
		if _, err := os.Stat(filepath.Join(timelinejsBrowserLibDir, f)); err != nil {
			t.Fatalf("the TimelineJS %s package lacks %s: %v", got.Version, f, err)
		}
	}
	return chromium, got.Version
}

// timelinejsBrowserSite serves the embed page at / and the library's dist
// directory at /timelinejs/, on its own origin. notFound lists the paths it
// could not serve, but for the favicon.
func timelinejsBrowserSite(t *testing.T, dataURL string) (site *httptest.Server, notFound func() []string) {
	t.Helper()
	var page bytes.Buffer
	if err := timelinejsBrowserPage.Execute(&page, dataURL); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var missed []string
	files := http.StripPrefix("/timelinejs/", http.FileServer(http.Dir(filepath.Join(timelinejsBrowserLibDir, "dist"))))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page.Bytes())
	})
	mux.Handle("GET /timelinejs/", files)
	site = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &timelinejsBrowserStatus{ResponseWriter: w, status: http.StatusOK}
		mux.ServeHTTP(rec, r)
		if rec.status == http.StatusNotFound && r.URL.Path != "/favicon.ico" {
			mu.Lock()
			missed = append(missed, r.URL.Path)
			mu.Unlock()
		}
	}))
	t.Cleanup(site.Close)
	return site, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), missed...)
	}
}

type timelinejsBrowserStatus struct {
	http.ResponseWriter
	status int
}

func (w *timelinejsBrowserStatus) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// timelinejsBrowserRun runs headless Chromium on a fresh profile with the
// arguments (a command such as --dump-dom and the URL last) and returns
// what it wrote to stdout. Every host name but the loopback address fails
// to resolve, so the page works with local files only (the library asks
// Knight Lab's CDN for its default font CSS; text falls back to local
// fonts).
func timelinejsBrowserRun(t *testing.T, chromium string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-quic", "--no-first-run",
		"--disable-component-update", "--disable-sync", "--disable-extensions",
		"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
		"--user-data-dir=" + t.TempDir(),
		"--virtual-time-budget=" + timelinejsBrowserBudget,
	}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			t.Fatalf("Chromium %v did not finish in 2 minutes\n%s", args, truncate(stderr.String()))
		}
		t.Fatalf("Chromium %v: %v\n%s", args, err, truncate(stderr.String()))
	}
	return stdout.Bytes()
}

// timelinejsBrowserCheckPNG checks the screenshot is a 1280×800 PNG with
// more than a blank page's colours in it.
func timelinejsBrowserCheckPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	if got := img.Bounds().Size(); got != image.Pt(1280, 800) {
		t.Errorf("screenshot is %v, want 1280×800", got)
	}
	colours := map[[4]uint32]bool{}
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y += 4 {
		for x := bounds.Min.X; x < bounds.Max.X; x += 4 {
			r, g, b, a := img.At(x, y).RGBA()
			colours[[4]uint32{r, g, b, a}] = true
		}
	}
	if len(colours) < 16 {
		t.Errorf("screenshot has %d colours: blank rather than a rendered timeline", len(colours))
	}
}

// DOM helpers over golang.org/x/net/html.

func timelinejsBrowserWalk(n *html.Node, keep func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && keep(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

// timelinejsBrowserFind returns the elements under n with the class.
func timelinejsBrowserFind(n *html.Node, class string) []*html.Node {
	return timelinejsBrowserWalk(n, func(n *html.Node) bool { return timelinejsBrowserHasClass(n, class) })
}

func timelinejsBrowserFindID(n *html.Node, id string) []*html.Node {
	return timelinejsBrowserWalk(n, func(n *html.Node) bool { return timelinejsBrowserAttr(n, "id") == id })
}

func timelinejsBrowserFindTag(n *html.Node, tag string) []*html.Node {
	return timelinejsBrowserWalk(n, func(n *html.Node) bool { return n.Data == tag })
}

func timelinejsBrowserHasClass(n *html.Node, class string) bool {
	for _, c := range strings.Fields(timelinejsBrowserAttr(n, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

func timelinejsBrowserAttr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// timelinejsBrowserText is n's text content with white space collapsed.
func timelinejsBrowserText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return timelinejsBrowserSpace(b.String())
}

// timelinejsBrowserFirstText is the text of the first element under n with
// the class, or "" when there is none.
func timelinejsBrowserFirstText(n *html.Node, class string) string {
	if found := timelinejsBrowserFind(n, class); len(found) > 0 {
		return timelinejsBrowserText(found[0])
	}
	return ""
}

func timelinejsBrowserSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
