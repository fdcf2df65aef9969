package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// format is a representation of a list of events.
type format string

// The formats of /v1/events. The same filters serve all of them.
const (
	formatJSON       format = "json"
	formatCSV        format = "csv"
	formatNDJSON     format = "ndjson"
	formatTimelineJS format = "timelinejs"
)

var formats = []string{string(formatJSON), string(formatCSV), string(formatNDJSON), string(formatTimelineJS)}

// mediaFormats maps the media types a client may ask for in Accept.
var mediaFormats = map[string]format{
	"application/json":     formatJSON,
	"application/*":        formatJSON,
	"*/*":                  formatJSON,
	"text/csv":             formatCSV,
	"text/*":               formatCSV,
	"application/x-ndjson": formatNDJSON,
	"application/ndjson":   formatNDJSON,
}

// negotiate picks the format: the format parameter wins, then a path
// suffix such as /v1/events.csv, then the Accept header. A suffix and a
// parameter that disagree are an error, not a guess.
func negotiate(c *gin.Context, p *params, suffix format) (format, error) {
	if v, ok := p.single("format"); ok {
		if !slices.Contains(formats, v) {
			p.errs.Add("format", "%q is not one of %s", v, strings.Join(formats, ", "))
			return formatJSON, nil
		}
		if suffix != "" && format(v) != suffix {
			p.errs.Add("format", "%q contradicts the path, which asks for %s", v, suffix)
		}
		return format(v), nil
	}
	if suffix != "" {
		return suffix, nil
	}
	accept := c.GetHeader("Accept")
	if strings.TrimSpace(accept) == "" {
		return formatJSON, nil
	}
	best, bestQ := format(""), 0.0
	for _, part := range strings.Split(accept, ",") {
		media, q := parseMediaRange(part)
		f, ok := mediaFormats[media]
		if ok && q > bestQ {
			best, bestQ = f, q
		}
	}
	if best == "" {
		return "", &Problem{Type: problemBase + "not-acceptable", Title: "Not acceptable", Status: http.StatusNotAcceptable,
			Detail: "Events are available as application/json, text/csv and application/x-ndjson " +
				"(or ?format=" + strings.Join(formats, "|") + "); the Accept header allows none of them."}
	}
	return best, nil
}

// parseMediaRange splits "text/csv;q=0.5" into its media type and weight.
func parseMediaRange(s string) (string, float64) {
	fields := strings.Split(s, ";")
	media := strings.ToLower(strings.TrimSpace(fields[0]))
	q := 1.0
	for _, f := range fields[1:] {
		k, v, ok := strings.Cut(strings.TrimSpace(f), "=")
		if ok && strings.EqualFold(k, "q") {
			if n, err := strconv.ParseFloat(v, 64); err == nil && n >= 0 && n <= 1 {
				q = n
			} else {
				q = 0
			}
		}
	}
	return media, q
}
