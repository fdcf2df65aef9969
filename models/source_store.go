package models

import (
	"encoding/json"
)

// sourceColumns are the columns of sources that a Source is read from, for
// a query that joins sources as s.
const sourceColumns = `s.id AS source_id, s.title AS title, s.author AS author, s.publisher AS publisher,
	s.url AS url, s.note AS source_note, s.published AS published, s.issue AS issue,
	s.author_affiliations AS author_affiliations, s.outside_fields AS outside_fields`

// sourceRow is a Source as read with sourceColumns.
type sourceRow struct {
	SourceID, Title, Author, Publisher, SourceNote, Issue string
	URL                                                   string `gorm:"column:url"`
	Published                                             Date
	AuthorAffiliations, OutsideFields                     string
}

// source returns the Source the row holds.
func (r sourceRow) source() Source {
	return Source{ID: r.SourceID, Title: r.Title, Author: r.Author, Publisher: r.Publisher, URL: r.URL,
		Note: r.SourceNote, Published: r.Published, Issue: r.Issue,
		AuthorAffiliations: parseList(r.AuthorAffiliations), OutsideFields: parseList(r.OutsideFields)}
}

// jsonList encodes a list of strings for a JSON-array text column; nil is
// the empty list.
func jsonList(list []string) string {
	if len(list) == 0 {
		return "[]"
	}
	b, err := json.Marshal(list)
	if err != nil {
		panic(err) // a []string always marshals
	}
	return string(b)
}

// parseList decodes a JSON-array text column; anything else is the empty
// list, never an error, since only jsonList writes these columns.
func parseList(s string) []string {
	var list []string
	if json.Unmarshal([]byte(s), &list) != nil || list == nil {
		return []string{}
	}
	return list
}
