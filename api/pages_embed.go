package api

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/csto-timeline/timeline/models"
)

// embedPageParams are the filters the embed page takes: those of the
// explorer's timeline page, without paging.
var embedPageParams = []string{"year", "from", "to", "match", "type", "status", "actor", "place", "tag", "q"}

// embedPageData is the embed page: TimelineJS over the API's timelinejs
// document for the same filters.
type embedPageData struct {
	pageBase
	Timeline models.Timeline
	// Source is the URL of the TimelineJS document.
	Source string
	// ScriptPath is where TimelineJS finds its own files.
	ScriptPath string
	// Explorer is the same selection in the explorer.
	Explorer string
	Count    int
}

// embedPage answers GET /embed/timelines/{id}: the page newsrooms put in
// an iframe. It is the only route other sites may frame.
func (s *server) embedPage(c *gin.Context) {
	c.Header("Content-Security-Policy", embedCSP)
	c.Writer.Header().Del("X-Frame-Options")
	name, data, err := s.embed(c)
	switch {
	case err != nil:
		s.renderProblemPage(c, err)
	case name != "":
		s.render(c, http.StatusOK, name, data)
	}
}

func (s *server) embed(c *gin.Context) (string, any, error) {
	id := c.Param("id")
	p, f, err := timelinePageRequest(c, embedPageParams)
	if p == nil {
		return "", nil, err
	}
	values := p.values
	if err := p.err(); err != nil {
		return "", nil, err
	}
	// A missing timeline is a 404 whatever the conditional headers say.
	ctx := c.Request.Context()
	t, err := s.findTimeline(ctx, id)
	if err != nil {
		return "", nil, err
	}
	if done, err := s.notModified(c); done || err != nil {
		return "", nil, err
	}
	_, total, err := s.store.CountEventsByYear(ctx, f)
	if err != nil {
		return "", nil, err
	}
	doc := cloneValues(values)
	doc.Set("timeline", id)
	doc.Set("format", "timelinejs")
	canonical := baseURL(c) + c.Request.URL.RequestURI()
	return "embed", embedPageData{
		pageBase: pageBase{Title: t.Title, Description: t.Description, Canonical: canonical,
			// A CMS given the embed URL itself finds its oEmbed too.
			OEmbed: baseURL(c) + "/oembed?" + url.Values{"url": {canonical}, "format": {"json"}}.Encode()},
		Timeline:   t,
		Source:     "/v1/events" + canonicalQuery(doc),
		ScriptPath: s.pages.assets.path("vendor/timelinejs/js/"),
		Explorer:   "/timelines/" + id + canonicalQuery(values),
		Count:      total,
	}, nil
}

// oEmbed sizes: the iframe's natural size, and the smallest it is made.
const (
	oEmbedWidth, oEmbedHeight       = 800, 600
	oEmbedMinWidth, oEmbedMinHeight = 200, 150
)

// oEmbedResponse is an oEmbed 1.0 rich response.
type oEmbedResponse struct {
	Version      string `json:"version"`
	Type         string `json:"type"`
	Title        string `json:"title"`
	ProviderName string `json:"provider_name"`
	ProviderURL  string `json:"provider_url"`
	HTML         string `json:"html"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
}

// oEmbed answers GET /oembed: how to embed an explorer or embed URL of
// this server (https://oembed.com). The HTML is an iframe of the embed
// page for the same timeline and filters, within maxwidth and maxheight.
func (s *server) oEmbed(c *gin.Context) error {
	p := newParams(c.Request.URL.Query(), "url", "maxwidth", "maxheight", "format")
	raw, ok := p.single("url")
	if !ok && !p.values.Has("url") {
		p.errs.Add("url", "is required: the URL of a timeline page of this server")
	}
	size := func(name string, natural, least int) int {
		v, ok := p.single(name)
		if !ok {
			return natural
		}
		n, err := strconv.Atoi(v)
		if err != nil || strings.Trim(v, "0123456789") != "" || n < 1 || n > 10000 {
			p.errs.Add(name, "%q is not a whole number of pixels from 1 to 10000", v)
			return natural
		}
		return max(min(natural, n), min(least, n))
	}
	width := size("maxwidth", oEmbedWidth, oEmbedMinWidth)
	height := size("maxheight", oEmbedHeight, oEmbedMinHeight)
	format, _ := p.single("format")
	var id string
	var filters url.Values
	if raw != "" {
		id, filters = s.embeddable(c, raw, p)
	}
	if err := p.err(); err != nil {
		return err
	}
	if format != "" && format != "json" {
		return &Problem{Type: problemBase + "not-implemented", Title: "Format not implemented", Status: http.StatusNotImplemented,
			Detail: fmt.Sprintf("oEmbed is answered as JSON only, not %q; leave format out or give format=json.", format)}
	}
	if id == "" {
		return notFound("The url is not a timeline page of this server: give an explorer URL (/timelines/{id}) or an embed URL (/embed/timelines/{id}) on " + c.Request.Host + ".")
	}
	t, err := s.findTimeline(c.Request.Context(), id)
	if err != nil {
		return err
	}
	if done, err := s.notModified(c); done || err != nil {
		return err
	}
	src := baseURL(c) + "/embed/timelines/" + id + canonicalQuery(filters)
	frame := fmt.Sprintf(`<iframe src="%s" width="%d" height="%d" title="%s" style="border:0" loading="lazy" allowfullscreen></iframe>`,
		html.EscapeString(src), width, height, html.EscapeString(t.Title+" (timeline)"))
	c.Set("rows", 1)
	return writeJSON(c, oEmbedResponse{Version: "1.0", Type: "rich", Title: t.Title, ProviderName: "Timeline",
		ProviderURL: baseURL(c) + "/", HTML: frame, Width: width, Height: height})
}

// embeddable reads an oEmbed url: the id of the timeline it shows and its
// filters when it is a timeline page (explorer or embed) of this host, ""
// when it is some other page. Filters that the page would reject are
// reported as a problem with url.
func (s *server) embeddable(c *gin.Context, raw string, p *params) (string, url.Values) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.errs.Add("url", "is not an absolute http or https URL")
		return "", nil
	}
	// The host name, not the port: behind a proxy or in development the
	// port the client used may not be the one the server sees.
	if !strings.EqualFold(u.Hostname(), requestHostname(c)) {
		return "", nil
	}
	rest, ok := strings.CutPrefix(u.Path, "/embed")
	if !ok {
		rest = u.Path
	}
	id, ok := strings.CutPrefix(rest, "/timelines/")
	if !ok || !models.ValidSlug(id) {
		return "", nil
	}
	// An explorer URL may be on any page, of any size: the embed shows
	// the whole selection.
	q := u.Query()
	q.Del("cursor")
	q.Del("limit")
	inner := newParams(q, embedPageParams...)
	inner.filter()
	for _, fe := range inner.errs.Fields {
		p.errs.Add("url", "its parameter %q: %s", fe.Field, fe.Reason)
	}
	return id, q
}

// requestHostname is the host name the client addressed, without port.
func requestHostname(c *gin.Context) string {
	u := url.URL{Host: c.Request.Host}
	return u.Hostname()
}
