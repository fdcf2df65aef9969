package models

import (
	"strconv"
	"strings"
)

// maxWordProbe bounds the entries of event_words counted for a lexeme when
// a search group has several words and the rarest must lead: a word with
// more entries than this is common enough that any of them leads well.
const maxWordProbe = 10000

// wordDriver returns, for a search that event_words can lead on PostgreSQL
// (see migration 0012), the SQL of one lexeme per alternative of the
// query, each with its arguments: a lexeme every match of the alternative
// contains. It reports false when there is no query, when it matches
// nothing, on SQLite, or when an alternative only excludes words (its
// matches are not in any word's entries).
//
// exact reports that the query is one word, one lexeme (one token of
// letters and digits, which to_tsvector turns into at most one lexeme): its
// entries are then exactly its matches and need no test of the search
// condition.
func (q *pageQuery) wordDriver() (lexemes []string, args [][]any, exact, ok bool) {
	f := q.f
	if q.s.dialect != DialectPostgres || f.Query.IsZero() || f.Query.MatchesNothing() {
		return nil, nil, false, false
	}
	for _, g := range f.Query.groups {
		if len(g.include) == 0 {
			return nil, nil, false, false
		}
		text := strings.Join(g.include, "\n")
		var words int
		for _, w := range searchWords(text) {
			if !stopWords[w] {
				words++
			}
		}
		// Every lexeme of an include is in every match of the group. With
		// one word there is one lexeme; with several, the one with the
		// fewest entries leads, counted up to maxWordProbe each.
		lex := "(SELECT u.lexeme FROM unnest(to_tsvector('english', ?)) AS u"
		if words > 1 {
			lex += " ORDER BY (SELECT count(*) FROM (SELECT 1 FROM event_words c WHERE c.lexeme = u.lexeme LIMIT " +
				strconv.Itoa(maxWordProbe) + ") AS n), u.lexeme"
		}
		lexemes = append(lexemes, lex+" LIMIT 1)")
		args = append(args, []any{text})
		exact = len(f.Query.groups) == 1 && len(g.include) == 1 && len(g.exclude) == 0 && len(searchWords(text)) == 1
	}
	return lexemes, args, exact, true
}

// wordArms adds the arms of a search led by event_words: per alternative,
// the entries of its lexeme whose start_date lies in the range c, in
// order. A later alternative leaves out the events of the earlier ones'
// lexemes with a probe of event_words' primary key.
func (q *pageQuery) wordArms(lexemes []string, lexArgs [][]any, exact bool, c string, ca []any, econd string, eargs []any,
	skip string, skipArgs []any) {
	for i, lex := range lexemes {
		cond := "l.lexeme = " + lex
		args := append([]any{}, lexArgs[i]...)
		if c != "" {
			cond += " AND " + c
			args = append(args, ca...)
		}
		if i > 0 {
			c, a := notEarlierLexemes(lexemes[:i], lexArgs[:i], "l.start_date", "l.event_id")
			cond, args = cond+" AND "+c, append(args, a...)
		}
		q.arms = append(q.arms, armSpec{from: "event_words l", startCol: "l.start_date", idCol: "l.event_id",
			cond: cond, args: args, word: exact, econd: econd, eargs: eargs, skip: skip, skipArgs: skipArgs})
	}
}

// notEarlierLexemes is the condition that the event (startCol, idCol) has
// none of lexemes, whose arms return it: a probe of event_words' primary
// key per lexeme.
func notEarlierLexemes(lexemes []string, lexArgs [][]any, startCol, idCol string) (string, []any) {
	var c []string
	var args []any
	for j, lex := range lexemes {
		c = append(c, "NOT EXISTS (SELECT 1 FROM event_words x WHERE x.lexeme = "+lex+
			" AND x.start_date = "+startCol+" AND x.event_id = "+idCol+")")
		args = append(args, lexArgs[j]...)
	}
	return strings.Join(c, " AND "), args
}
