package api

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/csto-timeline/timeline/models"
)

// The pages for people: the explorer (/, /timelines/{id}, /events/{id}),
// the embeddable timeline (/embed/timelines/{id}, described by /oembed)
// and the API reference (/docs). They are rendered on the server with
// html/template from files embedded in the binary, load nothing from
// elsewhere, and work without JavaScript; the only scripts are the
// project's own small site.js and, on the embed page, TimelineJS.

//go:embed web/templates/*.html
var templateFiles embed.FS

// pageCSP is the Content-Security-Policy of every HTML page: scripts,
// styles, fonts and images from this origin only, no inline script, no
// eval, no plugins, forms submitted here only, and never framed.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// embedCSP is the policy of the embed page, which other sites frame: the
// same, but any ancestor may frame it. TimelineJS needs nothing more: it
// styles the elements it builds through the CSSOM, which style-src allows.
const embedCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors *"

// pageSize is how many events the explorer lists a page.
const pageSize = 25

// pages holds the parsed templates and the fingerprint of the assets.
type pages struct {
	tmpl   map[string]*template.Template
	assets assetServer
	docs   *apiDocs
}

// preparePages parses the templates and fingerprints the assets of the
// HTML pages, whose routes New lists.
func (s *server) preparePages(readme []byte) error {
	assets, err := newAssetServer()
	if err != nil {
		return err
	}
	p := &pages{assets: assets, tmpl: map[string]*template.Template{}}
	funcs := template.FuncMap{
		"asset": assets.path,
		"list":  func(v ...any) []any { return v },
	}
	names, err := fs.Glob(templateFiles, "web/templates/*.html")
	if err != nil {
		return err
	}
	version := sha256.New()
	version.Write(assets.hash)
	for _, name := range names {
		src, err := fs.ReadFile(templateFiles, name)
		if err != nil {
			return err
		}
		version.Write(src)
		base := strings.TrimSuffix(strings.TrimPrefix(name, "web/templates/"), ".html")
		files := []string{"web/templates/layout.html", name}
		switch base {
		case "layout":
			continue
		case "embed":
			// The embed page is a document of its own: no site header,
			// navigation or footer inside another site's article.
			files = files[1:]
		}
		t, err := template.New(path.Base(files[0])).Funcs(funcs).ParseFS(templateFiles, files...)
		if err != nil {
			return err
		}
		p.tmpl[base] = t
	}
	if p.docs, err = newAPIDocs(s.spec, readme); err != nil {
		return err
	}
	// Pages change with the binary's templates and assets as well as with
	// the data: fold their fingerprint into every ETag.
	s.cache.revision = sha256.Sum256(append(s.cache.revision[:], version.Sum(nil)...))
	s.pages = p
	return nil
}

// pageHandler renders one page: it returns the template's name and data,
// or an error that the page adapter renders as an error page.
type pageHandler func(c *gin.Context) (name string, data any, err error)

// pageBase is what every page's layout needs.
type pageBase struct {
	Title string
	// Description is the page's meta description and Open Graph text.
	Description string
	// Canonical is the page's absolute URL.
	Canonical string
	// OEmbed is the discovery URL of the page's oEmbed, if it has one.
	OEmbed string
	// Problem is the error the page reports instead of its content.
	Problem *Problem
	// Nav names the current section for the navigation's aria-current.
	Nav string
}

// page adapts a pageHandler: it sets the pages' security headers, answers
// 304 when it can, and renders the page, or an HTML page carrying the
// problem in words when the handler fails. A handler that has written the
// response itself (a redirect, a 304) returns an empty name.
func (s *server) page(h pageHandler) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Content-Security-Policy", pageCSP)
		name, data, err := h(c)
		if err != nil {
			s.renderProblemPage(c, err)
			return
		}
		if name == "" {
			return
		}
		s.render(c, http.StatusOK, name, data)
	}
}

// render writes the named page with data and status.
func (s *server) render(c *gin.Context, status int, name string, data any) {
	var buf bytes.Buffer
	t := s.pages.tmpl[name]
	if t == nil {
		_ = c.Error(errors.New("no template " + name))
		return
	}
	if err := t.Execute(&buf, data); err != nil {
		s.log.ErrorContext(c.Request.Context(), "render page", "request_id", c.GetString(requestIDKey), "page", name, "error", err)
		_ = c.Error(err)
		return
	}
	c.Set("rows", 1)
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// problemPage is the data of the error page.
type problemPage struct {
	pageBase
}

// renderProblemPage answers with an HTML page that states the problem err
// is (the same status and words as the API's problem document), so that a
// person who mistypes a filter reads what to fix instead of a blank page.
func (s *server) renderProblemPage(c *gin.Context, err error) {
	p := problemFor(err)
	if p.Status >= 500 {
		s.log.ErrorContext(c.Request.Context(), "request failed", "request_id", c.GetString(requestIDKey),
			"route", c.FullPath(), "status", p.Status, "error", err)
	}
	if p.Status == http.StatusServiceUnavailable {
		c.Header("Retry-After", "5")
	}
	s.writeProblemPage(c, p)
}

// writeProblemPage writes p as the error page, with the headers the
// problem needs (Retry-After, Allow...), uncached.
func (s *server) writeProblemPage(c *gin.Context, p *Problem) {
	p.Instance = requestURN(c)
	h := c.Writer.Header()
	h.Del("ETag")
	h.Del("Last-Modified")
	h.Set("Cache-Control", "no-store")
	for k, vs := range p.header {
		h[k] = vs
	}
	s.render(c, p.Status, "problem", problemPage{pageBase{Title: p.Title, Problem: p}})
}

// pageRoutes are the routes of the HTML pages, with their policy.
var pageRoutes = map[string]string{
	"/":                    pageCSP,
	"/timelines/:id":       pageCSP,
	"/events/:id":          pageCSP,
	"/docs":                pageCSP,
	"/embed/timelines/:id": embedCSP,
}

// problemAsPage answers, as an error page, a problem that a middleware
// raised before a page's handler ran (a malformed or too long query, too
// many requests): the reader of a page is a person, and a page's reader
// should not get a JSON document for an address they edited by hand. It
// reports false, leaving the problem to the JSON renderer, on every other
// route.
func (s *server) problemAsPage(c *gin.Context, p *Problem) bool {
	csp, ok := pageRoutes[c.FullPath()]
	if !ok || s.pages == nil {
		return false
	}
	c.Header("Content-Security-Policy", csp)
	if csp == embedCSP {
		c.Writer.Header().Del("X-Frame-Options")
	}
	s.writeProblemPage(c, p)
	return c.Writer.Written()
}

// baseURL is the scheme and host the client used to reach this server,
// for the absolute URLs of Open Graph, oEmbed and the API link.
func baseURL(c *gin.Context) string {
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + c.Request.Host
}

// timelinePageRequest reads the id and filters of a timeline's page (the
// explorer, the embed): p holds the query and f its filter on that
// timeline. p is nil when the page is answered already: with a redirect to
// the clean URL (err nil) or an unknown id.
func timelinePageRequest(c *gin.Context, allowed []string) (p *params, f models.EventFilter, err error) {
	values, clean := pageQuery(c)
	if !clean {
		c.Redirect(http.StatusFound, c.Request.URL.Path+canonicalQuery(values))
		return nil, f, nil
	}
	id := c.Param("id")
	if !models.ValidSlug(id) {
		return nil, f, errNoTimeline(id)
	}
	p = newParams(values, allowed...)
	f = p.filter()
	f.Timelines = []string{id}
	return p, f, nil
}

// pageQuery reads a page's query string. Empty values (a GET form sends
// every field, filled or not) are dropped: ok is false when there were
// any, and the caller redirects to the clean URL, so that the address bar
// holds only the filters in force.
func pageQuery(c *gin.Context) (values url.Values, ok bool) {
	values = c.Request.URL.Query()
	ok = true
	for name, vs := range values {
		kept := vs[:0]
		for _, v := range vs {
			if strings.TrimSpace(v) != "" {
				kept = append(kept, v)
			}
		}
		if len(kept) != len(vs) {
			ok = false
		}
		if len(kept) == 0 {
			delete(values, name)
		} else {
			values[name] = kept
		}
	}
	return values, ok
}
