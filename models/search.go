package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxSearchLength is the longest full-text query accepted, in characters.
const MaxSearchLength = 200

// SearchQuery is a parsed full-text query in web-search syntax, the syntax
// of PostgreSQL's websearch_to_tsquery: every word is required, "quoted
// text" is a phrase, -word and -"phrase" exclude, and "or" separates
// alternatives. AND binds tighter than or: `lavrov or putin terrorist` is
// lavrov, or putin and terrorist together.
//
// The query is parsed in Go and handed to each database in a form it cannot
// misread: PostgreSQL gets every word or phrase quoted for
// websearch_to_tsquery, SQLite an FTS5 expression in which every word or
// phrase is a quoted string. English stop words ("the", "of", …) standing
// alone are dropped, as PostgreSQL's english configuration drops them, so
// that both databases answer alike; a query of stop words only matches
// nothing.
type SearchQuery struct {
	text   string
	groups []searchGroup
}

// searchGroup is one alternative: events that contain every include and
// none of the excludes. Each is a word or phrase as typed, lowercased, with
// no double quote in it.
type searchGroup struct {
	include, exclude []string
}

// ParseSearchQuery parses a query typed by a user. It fails only on input no
// one types: blank, over MaxSearchLength characters, invalid UTF-8 or
// control characters.
func ParseSearchQuery(s string) (SearchQuery, error) {
	s = strings.TrimSpace(s)
	switch {
	case !utf8.ValidString(s):
		return SearchQuery{}, errors.New("is not valid UTF-8")
	case s == "":
		return SearchQuery{}, errors.New("must contain a word to search for")
	case utf8.RuneCountInString(s) > MaxSearchLength:
		return SearchQuery{}, fmt.Errorf("is longer than %d characters", MaxSearchLength)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return SearchQuery{}, errors.New("contains a control character")
	}
	q := SearchQuery{text: s}
	var cur searchGroup
	rs := []rune(s)
	for i := 0; i < len(rs); {
		if unicode.IsSpace(rs[i]) {
			i++
			continue
		}
		exclude := false
		if rs[i] == '-' {
			exclude = true
			if i++; i == len(rs) || unicode.IsSpace(rs[i]) {
				continue // a lone "-" is punctuation
			}
		}
		var item string
		quoted := rs[i] == '"'
		if quoted {
			j := i + 1
			for j < len(rs) && rs[j] != '"' {
				j++
			}
			item, i = string(rs[i+1:j]), j+1 // an unclosed quote runs to the end
		} else {
			j := i
			for j < len(rs) && !unicode.IsSpace(rs[j]) && rs[j] != '"' {
				j++
			}
			item, i = string(rs[i:j]), j
		}
		if !quoted && !exclude && strings.EqualFold(item, "or") {
			if len(cur.include)+len(cur.exclude) > 0 {
				q.groups = append(q.groups, cur)
				cur = searchGroup{}
			}
			continue
		}
		item = strings.Join(strings.Fields(strings.ToLower(item)), " ")
		if !hasSearchWord(item) {
			continue
		}
		if exclude {
			cur.exclude = append(cur.exclude, item)
		} else {
			cur.include = append(cur.include, item)
		}
	}
	if len(cur.include)+len(cur.exclude) > 0 {
		q.groups = append(q.groups, cur)
	}
	return q, nil
}

// IsZero reports whether no query was given.
func (q SearchQuery) IsZero() bool { return q.text == "" }

// MatchesNothing reports whether a query was given but holds nothing to
// search for (only stop words or punctuation).
func (q SearchQuery) MatchesNothing() bool { return !q.IsZero() && len(q.groups) == 0 }

// Text returns the query as typed, trimmed.
func (q SearchQuery) Text() string { return q.text }

// String returns the query in canonical web-search syntax, every word or
// phrase quoted: `"lavrov" -"putin" or "single list"`. Equivalent queries
// typed differently have the same canonical form.
func (q SearchQuery) String() string {
	groups := make([]string, len(q.groups))
	for i, g := range q.groups {
		var items []string
		for _, s := range g.include {
			items = append(items, `"`+s+`"`)
		}
		for _, s := range g.exclude {
			items = append(items, `-"`+s+`"`)
		}
		groups[i] = strings.Join(items, " ")
	}
	return strings.Join(groups, " or ")
}

// fts5 translates the query for SQLite: match is one FTS5 expression for all
// alternatives that require a word ("" when none does); excludeOnly holds,
// for each alternative made only of exclusions, the FTS5 expression of what
// it excludes (FTS5 has no unary NOT, so the caller negates it in SQL).
// Every word and phrase is an FTS5 string, so no user text is read as an
// operator.
func (q SearchQuery) fts5() (match string, excludeOnly []string) {
	var alternatives []string
	for _, g := range q.groups {
		if len(g.include) == 0 {
			excludeOnly = append(excludeOnly, joinFTS5(g.exclude, " OR "))
			continue
		}
		expr := "(" + joinFTS5(g.include, " AND ") + ")"
		for _, s := range g.exclude {
			expr = "(" + expr + " NOT " + fts5String(s) + ")"
		}
		alternatives = append(alternatives, expr)
	}
	return strings.Join(alternatives, " OR "), excludeOnly
}

func joinFTS5(items []string, op string) string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = fts5String(s)
	}
	return strings.Join(out, op)
}

// fts5String quotes a word or phrase as an FTS5 string, the phrase of the
// tokens in it. Stop words at either end are left out, as PostgreSQL leaves
// them out of a phrase (`"CSTO's"` is csto); those inside stay, since FTS5
// indexed them and a phrase needs its words adjacent.
func fts5String(s string) string {
	words := searchWords(s)
	for len(words) > 0 && stopWords[words[0]] {
		words = words[1:]
	}
	for len(words) > 0 && stopWords[words[len(words)-1]] {
		words = words[:len(words)-1]
	}
	return `"` + strings.ReplaceAll(strings.Join(words, " "), `"`, `""`) + `"`
}

// searchWords splits s into its runs of letters, digits and marks, which is
// how both databases' tokenizers see words.
func searchWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.IsMark(r) })
}

// hasSearchWord reports whether s holds a word that is not an English stop
// word.
func hasSearchWord(s string) bool {
	for _, w := range searchWords(s) {
		if !stopWords[w] {
			return true
		}
	}
	return false
}

// stopWords is PostgreSQL's english.stop list, which its english text
// search configuration ignores.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`i me my myself we our ours ourselves you your yours yourself yourselves
		he him his himself she her hers herself it its itself they them their theirs themselves what which
		who whom this that these those am is are was were be been being have has had having do does did
		doing a an the and but if or because as until while of at by for with about against between into
		through during before after above below to from up down in out on off over under again further
		then once here there when where why how all any both each few more most other some such no nor
		not only own same so than too very s t can will just don should now`) {
		m[w] = true
	}
	return m
}()

// searchCondition is the SQL condition "the event matches q". On SQLite,
// byDate writes it so that it cannot lead the read (see manyMatches).
func (s *Store) searchCondition(q SearchQuery, byDate bool) (string, []any) {
	if q.MatchesNothing() {
		return "FALSE", nil
	}
	if s.dialect == DialectPostgres {
		return "e.search_vector @@ websearch_to_tsquery('english', ?)", []any{q.String()}
	}
	match, excludeOnly := q.fts5()
	var ors []string
	var args []any
	if match != "" {
		col := "e.rowid"
		if byDate {
			// The unary plus keeps the planner from reading the matches by
			// rowid and sorting them: it walks events in order and probes
			// the list of matches, built once.
			col = "+e.rowid"
		}
		ors = append(ors, col+" IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)")
		args = append(args, match)
	}
	for _, x := range excludeOnly {
		ors = append(ors, "e.rowid NOT IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)")
		args = append(args, x)
	}
	return "(" + strings.Join(ors, " OR ") + ")", args
}

// searchRank returns the SQL of an event's rank for q, higher is better,
// and the FROM clause (events e, possibly joined) it needs. On PostgreSQL
// the rank is ts_rank normalized by document length; on SQLite it is BM25.
// Both are computed the same way on every page of a listing, so a rank
// carried in a cursor compares exactly with the ranks of the next page.
func (s *Store) searchRank(q SearchQuery) (rank string, rankArgs []any, from string, fromArgs []any) {
	if q.MatchesNothing() {
		return "0.0", nil, "events e", nil
	}
	if s.dialect == DialectPostgres {
		return "CAST(ts_rank(e.search_vector, websearch_to_tsquery('english', ?), 1) AS DOUBLE PRECISION)",
			[]any{q.String()}, "events e", nil
	}
	match, _ := q.fts5()
	if match == "" {
		return "0.0", nil, "events e", nil
	}
	return "COALESCE(r.score, 0.0)", nil,
		"events e LEFT JOIN (SELECT rowid AS fts_rowid, -bm25(events_fts) AS score FROM events_fts " +
			"WHERE events_fts MATCH ?) r ON r.fts_rowid = e.rowid", []any{match}
}

// relevanceQuery builds the SQL of FindEvents for a listing sorted by
// search rank, best first, ties in date order. The keyset condition
// continues after f.After's (rank, start_date, id).
func (s *Store) relevanceQuery(f EventFilter, limit int) (string, []any) {
	w := s.where(f)
	s.indexHint(w, f)
	rank, rankArgs, from, fromArgs := s.searchRank(f.Query)
	args := append(append(append([]any{}, rankArgs...), fromArgs...), w.args...)
	query := "SELECT * FROM (SELECT " + eventColumns + ", " + rank + " AS search_rank FROM " + from +
		" WHERE " + w.String() + ") AS e"
	if s.dialect == DialectPostgres && !f.rankAll && !f.Query.MatchesNothing() {
		// Rank only the MaxRankedMatches most recent matches: the
		// candidates are the first MaxRankedMatches of the listing in
		// descending date order, read as its pages are (event_words in
		// order for the query's words), so a word in every event costs
		// what a rare one does.
		cf := f
		cf.After, cf.Relevance, cf.Descending = nil, false, true
		cq := &pageQuery{s: s, f: cf, w: s.whereProbing(cf, true), dir: "DESC", cmp: "<",
			limit: MaxRankedMatches - 1, cols: eventColumns + ", e.search_vector"}
		cand, candArgs := cq.build()
		c := strings.ReplaceAll(eventColumns, "e.", "c.")
		query = "SELECT * FROM (SELECT " + c + ", " + strings.ReplaceAll(rank, "e.search_vector", "c.search_vector") +
			" AS search_rank FROM (" + cand + ") AS c) AS e"
		args = append(append([]any{}, rankArgs...), candArgs...)
	}
	if f.After != nil {
		var r float64
		if f.After.Rank != nil {
			r = *f.After.Rank
		}
		query += " WHERE (e.search_rank < ? OR (e.search_rank = ? AND (e.start_date, e.id) > (?, ?)))"
		args = append(args, r, r, f.After.StartDate, f.After.ID)
	}
	query += " ORDER BY e.search_rank DESC, e.start_date ASC, e.id ASC LIMIT ?"
	return query, append(args, limit+1)
}

// sqliteByDateMatches is the number of matches from which SQLite reads a
// search page in date order and tests each event against the matches,
// rather than reading every match and sorting them by date: SQLite cannot
// read an FTS5 index in date order. Below it a page sorts fewer than this
// many matches; at or above it, a page walks about limit/share events.
// At 100,000 events a word in 10% of them costs 3 ms a page instead of 60
// (see BENCHMARKS.md, "SQLite at 100k").
const sqliteByDateMatches = 1000

// manyMatches says whether q matches at least sqliteByDateMatches events
// on SQLite, counting no further.
func (s *Store) manyMatches(ctx context.Context, q SearchQuery) (bool, error) {
	match, _ := q.fts5()
	if s.dialect != DialectSQLite || match == "" {
		return false, nil
	}
	var n int
	err := s.db.WithContext(ctx).Raw("SELECT count(*) FROM (SELECT rowid FROM events_fts WHERE events_fts MATCH ? LIMIT ?) AS m",
		match, sqliteByDateMatches).Row().Scan(&n)
	if err != nil {
		return false, s.searchError(err)
	}
	return n >= sqliteByDateMatches, nil
}

// MaxRankedMatches bounds the matches a listing sorted by relevance ranks
// on PostgreSQL: the most recent ones. Exports (StreamEvents) rank every
// match.
const MaxRankedMatches = 1000

// anchorRank computes the rank for q of the event id, the key a relevance
// listing continues after when the key does not carry it: 0 when the event
// no longer exists.
func (s *Store) anchorRank(ctx context.Context, q SearchQuery, id string) (float64, error) {
	rank, rankArgs, from, fromArgs := s.searchRank(q)
	var ranks []float64
	err := s.db.WithContext(ctx).Raw("SELECT "+rank+" AS search_rank FROM "+from+" WHERE e.id = ?",
		append(append(append([]any{}, rankArgs...), fromArgs...), id)...).Scan(&ranks).Error
	if err != nil {
		return 0, s.searchError(err)
	}
	if len(ranks) == 0 {
		return 0, nil
	}
	return ranks[0], nil
}

// searchError translates a query's error. FTS5 reports a MATCH expression
// it cannot parse as an error; the translation of SearchQuery never writes
// one, but should it happen the client hears that q is at fault, not a 500.
func (s *Store) searchError(err error) error {
	if err != nil && s.dialect == DialectSQLite && strings.Contains(err.Error(), "fts5") {
		return Invalid("q", "cannot be searched; put words and phrases in double quotes")
	}
	return translate(err)
}
