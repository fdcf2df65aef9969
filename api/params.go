package api

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/csto-timeline/timeline/models"
)

// Bounds on query parameters. Larger values are rejected, never clamped.
const (
	defaultLimit  = 50
	maxLimit      = 500
	maxListValues = 50
	maxParamBytes = 1024
)

// params reads a request's query parameters strictly: unknown names,
// repeated single-valued parameters and empty values are all errors, and
// every error is collected so the client can fix them in one go.
type params struct {
	values url.Values
	errs   models.ValidationError
}

// newParams checks that only allowed parameters are present.
func newParams(values url.Values, allowed ...string) *params {
	p := &params{values: values}
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if slices.Contains(allowed, name) {
			continue
		}
		reason := "unknown parameter"
		if len(allowed) == 0 {
			reason += "; this resource takes no query parameters"
		} else if s := closest(name, allowed); s != "" {
			reason += fmt.Sprintf("; did you mean %q?", s)
		} else {
			reason += "; allowed: " + strings.Join(allowed, ", ")
		}
		p.errs.Add(name, "%s", reason)
	}
	return p
}

// err returns the collected errors, or nil.
func (p *params) err() error { return p.errs.Err() }

// single returns the one value of a parameter, "" when absent.
func (p *params) single(name string) (string, bool) {
	vs, ok := p.values[name]
	if !ok {
		return "", false
	}
	switch {
	case len(vs) > 1:
		p.errs.Add(name, "given %d times; give it once", len(vs))
		return "", false
	case vs[0] == "":
		p.errs.Add(name, "must not be empty")
		return "", false
	case len(vs[0]) > maxParamBytes:
		p.errs.Add(name, "longer than %d bytes", maxParamBytes)
		return "", false
	}
	return vs[0], true
}

// list returns the comma-separated values of a parameter; repeating the
// parameter adds to the list, as in ?tag=a&tag=b.
func (p *params) list(name string, valid func(string) error) []string {
	vs, ok := p.values[name]
	if !ok {
		return nil
	}
	// Count before validating: repeats count too, so a long list of one
	// value repeated costs no more than the bound allows.
	total := 0
	for _, v := range vs {
		total += strings.Count(v, ",") + 1
	}
	if total > maxListValues {
		p.errs.Add(name, "has %d values; at most %d are allowed", total, maxListValues)
		return nil
	}
	var out []string
	for _, v := range vs {
		if len(v) > maxParamBytes {
			p.errs.Add(name, "longer than %d bytes", maxParamBytes)
			return nil
		}
		for _, item := range strings.Split(v, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				p.errs.Add(name, "empty value in list %q", v)
				return nil
			}
			if err := valid(item); err != nil {
				p.errs.Add(name, "%v", err)
				return nil
			}
			if !slices.Contains(out, item) {
				out = append(out, item)
			}
		}
	}
	if len(out) > maxListValues {
		p.errs.Add(name, "has %d values; at most %d are allowed", len(out), maxListValues)
		return nil
	}
	return out
}

func validSlug(kind string) func(string) error {
	return func(s string) error {
		if !models.ValidSlug(s) {
			return fmt.Errorf("%q is not a valid %s id (lowercase letters, digits and hyphens)", s, kind)
		}
		return nil
	}
}

func oneOf(vocabulary []string) func(string) error {
	return func(s string) error {
		if !slices.Contains(vocabulary, s) {
			return fmt.Errorf("%q is not one of %s", s, strings.Join(vocabulary, ", "))
		}
		return nil
	}
}

// maxNameBytes bounds one actor or place name in a filter.
const maxNameBytes = 200

// validName accepts an id or any name a person might type for an actor or
// place ("ODKB", "Kyrgyz Republic"): printable UTF-8 of reasonable length.
// Whether anything answers to it is the store's business: an unknown name,
// like an unknown id, matches no event.
func validName(kind string) func(string) error {
	return func(s string) error {
		switch {
		case !utf8.ValidString(s):
			return fmt.Errorf("%s name is not valid UTF-8", kind)
		case len(s) > maxNameBytes:
			return fmt.Errorf("%s name is longer than %d bytes", kind, maxNameBytes)
		case strings.IndexFunc(s, unicode.IsControl) >= 0:
			return fmt.Errorf("%s name contains a control character", kind)
		}
		return nil
	}
}

func validYear(s string) error {
	if len(s) != 4 || strings.Trim(s, "0123456789") != "" || s == "0000" {
		return fmt.Errorf("%q is not a four-digit year", s)
	}
	return nil
}

// filter reads the event filter parameters shared by /v1/events,
// /v1/years and /v1/facets.
func (p *params) filter() models.EventFilter {
	var f models.EventFilter
	f.Timelines = p.list("timeline", validSlug("timeline"))
	for _, y := range p.list("year", validYear) {
		n, _ := strconv.Atoi(y)
		f.Years = append(f.Years, n)
	}
	f.Types = p.list("type", oneOf(models.EventTypes))
	f.Statuses = p.list("status", oneOf(models.EventStatuses))
	f.Actors = p.list("actor", validName("actor"))
	f.Places = p.list("place", validName("place"))
	f.Tags = p.list("tag", validSlug("tag"))
	if s, ok := p.single("q"); ok {
		q, err := models.ParseSearchQuery(s)
		if err != nil {
			p.errs.Add("q", "%v", err)
		}
		f.Query = q
	}
	if s, ok := p.single("match"); ok {
		switch s {
		case "overlaps":
		case "within":
			f.Within = true
		default:
			p.errs.Add("match", "%q is not one of overlaps, within", s)
		}
	}
	if s, ok := p.single("from"); ok {
		first, _, _, err := models.ParsePartialDate(s)
		if err != nil {
			p.errs.Add("from", "%v", err)
		}
		f.From = first
	}
	if s, ok := p.single("to"); ok {
		_, last, _, err := models.ParsePartialDate(s)
		if err != nil {
			p.errs.Add("to", "%v", err)
		}
		f.To = last
	}
	if s, ok := p.single("updated_since"); ok {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			p.errs.Add("updated_since", "%q is not an RFC 3339 time such as 2026-11-29T10:00:00Z", s)
		}
		f.UpdatedSince = t
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		p.errs.Add("to", "%s ends before from=%s starts", p.values.Get("to"), p.values.Get("from"))
	}
	return f
}

// filterParams are the names filter reads.
var filterParams = []string{"timeline", "year", "from", "to", "match", "type", "status", "actor", "place", "tag", "q", "updated_since"}

// limit reads the page size.
func (p *params) limit() int {
	s, ok := p.single("limit")
	if !ok {
		return defaultLimit
	}
	n, err := strconv.Atoi(s)
	if err != nil || strings.Trim(s, "0123456789") != "" || n < 1 || n > maxLimit {
		p.errs.Add("limit", "%q is not a whole number from 1 to %d", s, maxLimit)
		return defaultLimit
	}
	return n
}

// closest returns the allowed name within two edits of name, if any.
func closest(name string, allowed []string) string {
	best, bestDist := "", 3
	for _, a := range allowed {
		if d := editDistance(strings.ToLower(name), a); d < bestDist {
			best, bestDist = a, d
		}
	}
	return best
}

// editDistance is the Damerau-Levenshtein (optimal string alignment)
// distance, so that "yaer" is one edit from "year".
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return 64
	}
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
