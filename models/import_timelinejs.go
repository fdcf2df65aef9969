package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// TimelineJS imports: Knight Lab's JSON ({"title": …, "events": [{"start_date":
// {"year": …}, "text": {"headline": …}}]}) and the columns of its Google
// Sheets template. Date parts map to EDTF at the precision they give: a
// year alone is year precision, a year and month month precision, an end
// date makes an interval. What TimelineJS has no field for (the event's
// type, status, actors, places, tags and the sources every event must
// cite) is read from extra keys or columns that TimelineJS ignores; a row
// without a source is refused with its field named, never filled in.

// tjsDate is a TimelineJS date object.
type tjsDate struct {
	Year        json.RawMessage `json:"year"`
	Month       json.RawMessage `json:"month"`
	Day         json.RawMessage `json:"day"`
	DisplayDate string          `json:"display_date"`
}

// tjsEvent is a TimelineJS slide, with this service's extra keys.
type tjsEvent struct {
	UniqueID    string   `json:"unique_id"`
	StartDate   *tjsDate `json:"start_date"`
	EndDate     *tjsDate `json:"end_date"`
	DisplayDate string   `json:"display_date"`
	Text        struct {
		Headline string `json:"headline"`
		Text     string `json:"text"`
	} `json:"text"`
	Group   string        `json:"group"`
	Type    string        `json:"type"`
	Status  string        `json:"status"`
	Actors  []ActorRef    `json:"actors"`
	Places  []PlaceRef    `json:"places"`
	Tags    []string      `json:"tags"`
	Sources []CitationDoc `json:"sources"`
}

type timelineJSReader struct {
	dec *json.Decoder
	n   int
	// inEvents says the decoder stands inside the events array.
	inEvents bool
}

func newTimelineJSReader(r io.Reader) (*timelineJSReader, error) {
	dec := json.NewDecoder(r)
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, InvalidBody("body", "a TimelineJS document is a JSON object with an \"events\" array")
	}
	x := &timelineJSReader{dec: dec}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, InvalidBody("body", "not JSON: %v", err)
		}
		if key == "events" {
			if t, err := dec.Token(); err != nil || t != json.Delim('[') {
				return nil, InvalidBody("/events", "must be an array")
			}
			x.inEvents = true
			return x, nil
		}
		var skip json.RawMessage // title, eras, scale: small
		if err := dec.Decode(&skip); err != nil {
			return nil, InvalidBody("body", "not JSON: %v", err)
		}
	}
	return nil, InvalidBody("/events", "is missing: a TimelineJS document lists its slides in \"events\"")
}

func (x *timelineJSReader) Next() (ImportRow, error) {
	if !x.inEvents || !x.dec.More() {
		if x.inEvents {
			x.inEvents = false
			if _, err := x.dec.Token(); err != nil {
				return ImportRow{}, InvalidBody("/events", "not JSON: %v", err)
			}
		}
		return ImportRow{}, io.EOF
	}
	at := "/events/" + strconv.Itoa(x.n)
	x.n++
	var raw json.RawMessage
	if err := x.dec.Decode(&raw); err != nil {
		return ImportRow{}, InvalidBody(at, "not JSON: %v", err)
	}
	row := ImportRow{At: at}
	var ev tjsEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		row.Problems = []FieldError{{Field: "", Reason: "not a TimelineJS slide: " + err.Error()}}
		return row, nil
	}
	var probs []FieldError
	start := tjsPart(&probs, "start_date", ev.StartDate)
	end := ""
	if ev.EndDate != nil {
		end = tjsPart(&probs, "end_date", ev.EndDate)
	}
	display := ev.DisplayDate
	if display == "" && ev.StartDate != nil {
		display = ev.StartDate.DisplayDate
	}
	row.Doc = tjsDoc(ev.UniqueID, start, end, display, ev.Text.Headline, ev.Text.Text, ev.Group, ev.Type, ev.Status)
	row.Doc.Actors, row.Doc.Places, row.Doc.Tags, row.Doc.Sources = ev.Actors, ev.Places, ev.Tags, ev.Sources
	row.Problems = probs
	return row, nil
}

// tjsPart reads a TimelineJS date object as an EDTF date; its parts may be
// numbers or strings of digits, as Sheets exports them.
func tjsPart(probs *[]FieldError, field string, d *tjsDate) string {
	if d == nil {
		*probs = append(*probs, FieldError{Field: "/" + field, Reason: "is missing: every slide needs a start date"})
		return ""
	}
	num := func(name string, raw json.RawMessage) string {
		s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
		if s == "" || s == "null" {
			return ""
		}
		if _, err := strconv.Atoi(s); err != nil {
			*probs = append(*probs, FieldError{Field: "/" + field + "/" + name, Reason: fmt.Sprintf("%q is not a number", s)})
		}
		return s
	}
	edtf, err := edtfOfParts(num("year", d.Year), num("month", d.Month), num("day", d.Day))
	if err != nil {
		*probs = append(*probs, FieldError{Field: "/" + field, Reason: err.Error()})
	}
	return edtf
}

// edtfOfParts writes year, month and day (month and day may be empty) as an
// EDTF date of the precision they give.
func edtfOfParts(year, month, day string) (string, error) {
	y, err := strconv.Atoi(year)
	switch {
	case year == "":
		return "", errors.New("needs a year")
	case err != nil:
		return "", fmt.Errorf("year %q is not a number", year)
	case y < 1 || y > 9999:
		return "", fmt.Errorf("year %d is outside 1 to 9999, which this service dates", y)
	}
	out := fmt.Sprintf("%04d", y)
	if month == "" {
		if day != "" {
			return "", errors.New("a day needs a month")
		}
		return out, nil
	}
	m, err := strconv.Atoi(month)
	if err != nil || m < 1 || m > 12 {
		return "", fmt.Errorf("month %q is not 1 to 12", month)
	}
	out += fmt.Sprintf("-%02d", m)
	if day == "" {
		return out, nil
	}
	d, err := strconv.Atoi(day)
	if err != nil || d < 1 || d > 31 {
		return "", fmt.Errorf("day %q is not 1 to 31", day)
	}
	return out + fmt.Sprintf("-%02d", d), nil
}

var (
	htmlTag  = regexp.MustCompile(`<[^>]*>`)
	slugJunk = regexp.MustCompile(`[^a-z0-9]+`)
)

// plainText turns TimelineJS's HTML into text.
func plainText(s string) string {
	s = strings.NewReplacer("</p>", "\n", "<br>", "\n", "<br/>", "\n", "<br />", "\n").Replace(s)
	return strings.TrimSpace(html.UnescapeString(htmlTag.ReplaceAllString(s, "")))
}

// tjsDoc builds the document of a TimelineJS slide. An id not given (or not
// a valid id) is made from the date and headline, so that importing the
// same file again updates the same events.
func tjsDoc(id, start, end, display, headline, text, group, typ, status string) EventDoc {
	title := plainText(headline)
	if !ValidSlug(id) {
		id = strings.Trim(slugJunk.ReplaceAllString(strings.ToLower(start+"-"+title), "-"), "-")
		if len(id) > 100 {
			id = strings.TrimRight(id[:100], "-")
		}
	}
	date := start
	if end != "" && end != start {
		date = start + "/" + end
	}
	if typ == "" && containsString(EventTypes, strings.ToLower(group)) {
		typ = strings.ToLower(group)
	}
	if status == "" {
		status = StatusOccurred
	}
	return EventDoc{ID: id, Title: title, Summary: plainText(text), Date: date, DisplayDate: strings.TrimSpace(display),
		Type: typ, Status: status}
}

// sheetsRow reads a row of the TimelineJS Google Sheets template. Rows of
// type "title" or "era" describe the timeline, not events: skipped.
func (c *csvReader) sheetsRow(rec []string, at string) (ImportRow, bool) {
	switch strings.ToLower(strings.TrimSpace(c.get(rec, "type"))) {
	case "title", "era":
		return ImportRow{}, true
	}
	row := ImportRow{At: at}
	start, err := edtfOfParts(strings.TrimSpace(c.get(rec, "year")), strings.TrimSpace(c.get(rec, "month")),
		strings.TrimSpace(c.get(rec, "day")))
	if err != nil {
		row.Problems = append(row.Problems, FieldError{Field: "Year/Month/Day", Reason: err.Error()})
	}
	end := ""
	if strings.TrimSpace(c.get(rec, "end year")) != "" {
		end, err = edtfOfParts(strings.TrimSpace(c.get(rec, "end year")), strings.TrimSpace(c.get(rec, "end month")),
			strings.TrimSpace(c.get(rec, "end day")))
		if err != nil {
			row.Problems = append(row.Problems, FieldError{Field: "End Year/End Month/End Day", Reason: err.Error()})
		}
	}
	id := c.get(rec, "id")
	if id == "" {
		id = c.get(rec, "unique id")
	}
	d := tjsDoc(strings.TrimSpace(id), start, end, c.get(rec, "display date"), c.get(rec, "headline"), c.get(rec, "text"),
		c.get(rec, "group"), strings.TrimSpace(c.get(rec, "event type")), strings.TrimSpace(c.get(rec, "status")))
	d.Tags = splitList(c.get(rec, "tags"))
	// Actors as "id:role; id:role", places and sources by id.
	for _, a := range splitList(c.get(rec, "actors")) {
		id, role, _ := strings.Cut(a, ":")
		d.Actors = append(d.Actors, ActorRef{ID: strings.TrimSpace(id), Role: strings.TrimSpace(role)})
	}
	for _, p := range splitList(c.get(rec, "places")) {
		d.Places = append(d.Places, PlaceRef{ID: p})
	}
	if src, quote := strings.TrimSpace(c.get(rec, "source id")), c.get(rec, "quote"); src != "" || quote != "" {
		d.Sources = []CitationDoc{{SourceID: src, Quote: quote, Title: c.get(rec, "source title"), URL: c.get(rec, "source url")}}
	}
	row.Doc = d
	return row, false
}
