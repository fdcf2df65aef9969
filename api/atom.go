package api

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/csto-timeline/timeline/models"
)

// The Atom feed of a timeline (RFC 4287): its new, corrected and retracted
// events, newest first, for people who follow a timeline in a feed reader.

// atomEntries is how many changes the feed lists.
const atomEntries = 50

// AtomStore is what the Atom feed needs from storage.
type AtomStore interface {
	FindRecentChanges(ctx context.Context, timeline, kind string, limit int) ([]models.Change, error)
	FindRevision(ctx context.Context, id string, n int64) (models.Revision, error)
}

var _ AtomStore = (*models.Store)(nil)

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	ID      string      `xml:"id"`
	Title   atomText    `xml:"title"`
	Updated string      `xml:"updated"`
	Author  atomAuthor  `xml:"author"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomText struct {
	Type string `xml:"type,attr,omitempty"`
	Body string `xml:",chardata"`
}

type atomAuthor struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomEntry struct {
	ID       string     `xml:"id"`
	Title    atomText   `xml:"title"`
	Updated  string     `xml:"updated"`
	Links    []atomLink `xml:"link"`
	Summary  atomText   `xml:"summary"`
	Category []struct {
		Term string `xml:"term,attr"`
	} `xml:"category"`
}

// timelineAtom serves GET /v1/timelines/{id}/feed.atom.
func (s *server) timelineAtom(c *gin.Context) error {
	if err := newParams(c.Request.URL.Query()).err(); err != nil {
		return err
	}
	as, ok := s.store.(AtomStore)
	if !ok {
		return models.ErrUnavailable
	}
	ctx := c.Request.Context()
	t, err := s.store.FindTimelineByID(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	changes, err := as.FindRecentChanges(ctx, t.ID, models.KindEvent, atomEntries)
	if err != nil {
		return err
	}
	base := baseURL(c)
	feed := atomFeed{ID: base + "/v1/timelines/" + t.ID, Title: atomText{Body: t.Title},
		Author: atomAuthor{Name: "The editors of " + t.Title},
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: base + c.Request.URL.Path},
			{Rel: "alternate", Type: "application/json", Href: base + "/v1/timelines/" + t.ID}},
		Updated: time.Unix(0, 0).UTC().Format(time.RFC3339)}
	for i, ch := range changes {
		if i == 0 {
			feed.Updated = ch.CreatedAt.Format(time.RFC3339Nano)
		}
		e, err := s.atomEntry(ctx, as, base, ch)
		if err != nil {
			return err
		}
		feed.Entries = append(feed.Entries, e)
	}
	c.Header("Content-Type", "application/atom+xml; charset=utf-8")
	c.Header("Cache-Control", "no-cache")
	c.Status(http.StatusOK)
	if _, err := c.Writer.WriteString(xml.Header); err != nil {
		return nil
	}
	enc := xml.NewEncoder(c.Writer)
	enc.Indent("", " ")
	_ = enc.Encode(feed)
	return nil
}

// atomEntry says what one change did: a new event, a correction (naming the
// fields that changed since the previous revision), a retraction or a
// restoration.
func (s *server) atomEntry(ctx context.Context, as AtomStore, base string, ch models.Change) (atomEntry, error) {
	rev, err := as.FindRevision(ctx, ch.ID, ch.Revision)
	if err != nil {
		return atomEntry{}, err
	}
	doc := rev.Event
	e := atomEntry{ID: fmt.Sprintf("%s/v1/events/%s/revisions/%d", base, ch.ID, ch.Revision),
		Updated: ch.CreatedAt.Format(time.RFC3339Nano),
		Links:   []atomLink{{Rel: "alternate", Type: "application/json", Href: base + "/v1/events/" + ch.ID}}}
	e.Category = append(e.Category, struct {
		Term string `xml:"term,attr"`
	}{ch.Action})
	display := doc.DisplayDate
	if display == "" {
		display = doc.Date
	}
	switch ch.Action {
	case "create":
		e.Title.Body = "New: " + doc.Title
		e.Summary.Body = display + ". " + doc.Summary
	case "retract":
		e.Title.Body = "Retracted: " + doc.Title
		e.Summary.Body = "The event of " + display + " was retracted; its revisions remain."
	case "restore":
		e.Title.Body = "Restored: " + doc.Title
		e.Summary.Body = "The event of " + display + " was restored. " + doc.Summary
	default:
		e.Title.Body = "Corrected: " + doc.Title
		changed := []string{}
		if ch.Revision > 1 {
			prev, err := as.FindRevision(ctx, ch.ID, ch.Revision-1)
			if err != nil {
				return atomEntry{}, err
			}
			changed = changedFields(prev.Event, doc)
		}
		e.Summary.Body = "Changed: " + strings.Join(changed, ", ") + ". " + doc.Summary
		if len(changed) == 0 {
			e.Summary.Body = doc.Summary
		}
	}
	return e, nil
}

// changedFields names the fields of an event document that differ.
func changedFields(a, b models.EventDoc) []string {
	var ma, mb map[string]any
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	_ = json.Unmarshal(ja, &ma)
	_ = json.Unmarshal(jb, &mb)
	var out []string
	for k := range mb {
		if !reflect.DeepEqual(ma[k], mb[k]) {
			out = append(out, k)
		}
	}
	for k := range ma {
		if _, ok := mb[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
