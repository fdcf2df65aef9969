package models

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
)

// Import formats. Each reader streams: the NDJSON and CSV readers hold one
// line at a time; the TimelineJS reader walks the "events" array token by
// token.
const (
	ImportNDJSON     = "ndjson"
	ImportCSV        = "csv"
	ImportTimelineJS = "timelinejs"
	ImportSheets     = "sheets"
)

// ImportFormats lists the formats NewImportReader reads.
var ImportFormats = []string{ImportNDJSON, ImportCSV, ImportTimelineJS, ImportSheets}

// NewImportReader returns a reader of format over r. For "csv" the header
// decides between the service's own CSV export and the TimelineJS Google
// Sheets template. Errors: a *ValidationError when the header is not one
// of them.
func NewImportReader(format string, r io.Reader) (ImportReader, error) {
	switch format {
	case ImportNDJSON:
		return &ndjsonReader{sc: newLineScanner(r)}, nil
	case ImportTimelineJS:
		return newTimelineJSReader(r)
	case ImportCSV, ImportSheets:
		return newCSVReader(r)
	}
	return nil, Invalid("format", "%q is not one of %s", format, strings.Join(ImportFormats, ", "))
}

// maxImportLine bounds one NDJSON line or CSV record.
const maxImportLine = 4 << 20

func newLineScanner(r io.Reader) *bufio.Scanner {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxImportLine)
	return sc
}

// exportedEvent is a line of the service's NDJSON export (the API's event
// shape), read back.
type exportedEvent struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Summary     string   `json:"summary"`
	EDTF        string   `json:"edtf"`
	DisplayDate string   `json:"display_date"`
	Type        string   `json:"type"`
	Status      string   `json:"status"`
	Tags        []string `json:"tags"`
	Actors      []struct {
		ID      string   `json:"id"`
		Name    string   `json:"name"`
		Kind    string   `json:"kind"`
		Aliases []string `json:"aliases"`
		Role    string   `json:"role"`
	} `json:"actors"`
	Places []struct {
		ID      string  `json:"id"`
		Name    string  `json:"name"`
		Kind    string  `json:"kind"`
		Country *string `json:"country"`
	} `json:"places"`
	Sources []struct {
		SourceID      string  `json:"source_id"`
		Title         string  `json:"title"`
		Author        string  `json:"author"`
		Publisher     *string `json:"publisher"`
		PublishedDate *string `json:"published_date"`
		URL           *string `json:"url"`
		Quote         string  `json:"quote"`
		Note          string  `json:"note"`
	} `json:"sources"`
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (x exportedEvent) doc() EventDoc {
	d := EventDoc{ID: x.ID, Title: x.Title, Summary: x.Summary, Date: x.EDTF, DisplayDate: x.DisplayDate,
		Type: x.Type, Status: x.Status, Tags: x.Tags}
	for _, a := range x.Actors {
		d.Actors = append(d.Actors, ActorRef{ID: a.ID, Role: a.Role, Name: a.Name, Kind: a.Kind, Aliases: a.Aliases})
	}
	for _, p := range x.Places {
		d.Places = append(d.Places, PlaceRef{ID: p.ID, Name: p.Name, Kind: p.Kind, Country: deref(p.Country)})
	}
	for _, c := range x.Sources {
		d.Sources = append(d.Sources, CitationDoc{SourceID: c.SourceID, Quote: c.Quote, Note: c.Note, Title: c.Title,
			Author: c.Author, Publisher: deref(c.Publisher), PublishedDate: deref(c.PublishedDate), URL: deref(c.URL)})
	}
	return d
}

type ndjsonReader struct {
	sc   *bufio.Scanner
	line int
}

func (r *ndjsonReader) Next() (ImportRow, error) {
	for r.sc.Scan() {
		r.line++
		b := bytes.TrimSpace(r.sc.Bytes())
		if len(b) == 0 {
			continue
		}
		row := ImportRow{At: "line " + strconv.Itoa(r.line)}
		var x exportedEvent
		dec := json.NewDecoder(bytes.NewReader(b))
		if err := dec.Decode(&x); err != nil {
			row.Problems = []FieldError{{Field: "", Reason: "not a JSON object of an event: " + err.Error()}}
			return row, nil
		}
		row.Doc = x.doc()
		return row, nil
	}
	if err := r.sc.Err(); err != nil {
		return ImportRow{}, importReadError(err)
	}
	return ImportRow{}, io.EOF
}

// importReadError turns a scanner's error into the problem it is.
func importReadError(err error) error {
	if errors.Is(err, bufio.ErrTooLong) {
		return InvalidBody("body", "a line is longer than %d bytes", maxImportLine)
	}
	return err
}

// csvReader reads the service's CSV export or the TimelineJS Sheets
// template, by its header.
type csvReader struct {
	r      *csv.Reader
	col    map[string]int
	sheets bool
	line   int
	// title is the Sheets template's "title" slide, which names the
	// timeline rather than an event.
}

func newCSVReader(r io.Reader) (*csvReader, error) {
	cr := csv.NewReader(bufio.NewReaderSize(r, 64<<10))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, InvalidBody("body", "no CSV header row: %v", err)
	}
	c := &csvReader{r: cr, col: map[string]int{}, line: 1}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		c.col[strings.ToLower(h)] = i
	}
	_, hasEDTF := c.col["edtf"]
	_, hasYear := c.col["year"]
	_, hasHeadline := c.col["headline"]
	switch {
	case hasEDTF:
	case hasYear && hasHeadline:
		c.sheets = true
	default:
		return nil, InvalidBody("body", "the CSV header is neither the service's export (id, title, …, edtf, …) "+
			"nor the TimelineJS Google Sheets template (Year, Month, Day, …, Headline, Text, …)")
	}
	return c, nil
}

func (c *csvReader) get(rec []string, name string) string {
	i, ok := c.col[name]
	if !ok || i >= len(rec) {
		return ""
	}
	return rec[i]
}

func (c *csvReader) Next() (ImportRow, error) {
	for {
		rec, err := c.r.Read()
		if errors.Is(err, io.EOF) {
			return ImportRow{}, io.EOF
		}
		line, _ := c.r.FieldPos(0)
		c.line = line
		at := "line " + strconv.Itoa(line)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return ImportRow{At: at, Problems: []FieldError{{Field: "", Reason: pe.Err.Error()}}}, nil
			}
			return ImportRow{}, err
		}
		empty := true
		for _, f := range rec {
			if strings.TrimSpace(f) != "" {
				empty = false
			}
		}
		if empty {
			continue
		}
		if c.sheets {
			row, skip := c.sheetsRow(rec, at)
			if skip {
				continue
			}
			return row, nil
		}
		return c.exportRow(rec, at), nil
	}
}

// cell reads a cell of the service's export, undoing csvSafe's apostrophe.
func (c *csvReader) cell(rec []string, name string) string {
	s := c.get(rec, name)
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(s[1])) {
		return s[1:]
	}
	return s
}

func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	parts := strings.Split(s, "; ")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

// exportRow reads a row of the service's CSV export. The CSV carries no
// actor roles and no citation notes, and lists each source once however
// many quotes it gives: those come from the event's current document when
// it exists (so that importing an export changes nothing), and otherwise
// the row must pair one quote with one source.
func (c *csvReader) exportRow(rec []string, at string) ImportRow {
	d := EventDoc{ID: c.cell(rec, "id"), Title: c.cell(rec, "title"), Summary: c.cell(rec, "summary"),
		Date: c.cell(rec, "edtf"), DisplayDate: c.cell(rec, "display_date"), Type: c.cell(rec, "type"),
		Status: c.cell(rec, "status"), Tags: splitList(c.cell(rec, "tags"))}
	actorIDs := splitList(c.cell(rec, "actor_ids"))
	for _, id := range actorIDs {
		d.Actors = append(d.Actors, ActorRef{ID: id})
	}
	for _, id := range splitList(c.cell(rec, "place_ids")) {
		d.Places = append(d.Places, PlaceRef{ID: id})
	}
	quotesCell, sourcesCell := c.cell(rec, "quotes"), c.cell(rec, "source_ids")
	quotes, sources := splitList(quotesCell), splitList(sourcesCell)
	row := ImportRow{At: at, Doc: d}
	row.Complete = func(current *EventDoc, d *EventDoc, v *ValidationError) {
		roles := map[string]string{}
		if current != nil {
			for _, a := range current.Actors {
				roles[a.ID] = a.Role
			}
		}
		for i := range d.Actors {
			d.Actors[i].Role = roles[d.Actors[i].ID]
			if d.Actors[i].Role == "" {
				v.Add(pointer("/actors", i, "role"), "the CSV does not carry roles and the event has none for actor %q; "+
					"import NDJSON, or add the actor with the API", d.Actors[i].ID)
			}
		}
		// Citations: the current ones when they give the same quotes from
		// the same sources, else one quote for each source.
		if current != nil && sameCitations(current.Sources, quotesCell, sourcesCell) {
			d.Sources = current.Sources
			return
		}
		if len(quotes) != len(sources) {
			v.Add("/sources", "%d quotes and %d sources: the CSV cannot say which quote is from which source", len(quotes), len(sources))
			return
		}
		for i := range quotes {
			d.Sources = append(d.Sources, CitationDoc{SourceID: sources[i], Quote: quotes[i]})
		}
	}
	return row
}

// sameCitations reports whether cs are the citations a CSV row lists, as
// the export joins them.
func sameCitations(cs []CitationDoc, quotesCell, sourcesCell string) bool {
	var quotes, ids []string
	for _, c := range cs {
		quotes = append(quotes, c.Quote)
		if !containsString(ids, c.SourceID) {
			ids = append(ids, c.SourceID)
		}
	}
	return strings.Join(quotes, "; ") == quotesCell && strings.Join(ids, "; ") == sourcesCell
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
