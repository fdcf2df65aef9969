package tests

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/csto-timeline/timeline/models"
)

// schemaOnlyIn lists the tables and columns that exist in one dialect
// only, each for a reason: full-text search is PostgreSQL's tsvector
// column on one side and SQLite's FTS5 virtual table (with its shadow
// tables) on the other; and the span index's triggers cut spans into
// blocks with generate_series on PostgreSQL, with two small constant
// tables on SQLite, which has no table-valued series in its triggers;
// event_words, the lexemes of search_vector in date order, leads searches
// on PostgreSQL only (SQLite's searches go through FTS5), and so does
// event_word_months, its events over more than one month per month block.
var schemaOnlyIn = map[string]string{
	"events.search_vector": models.DialectPostgres,
	"event_words":          models.DialectPostgres,
	"event_word_months":    models.DialectPostgres,
	"events_fts":           models.DialectSQLite,
	"span_levels":          models.DialectSQLite,
	"span_offsets":         models.DialectSQLite,
}

// TestSchemaParity checks that the PostgreSQL and SQLite migrations build
// the same tables with the same columns, so that no write or read works on
// one database and fails on the other.
func TestSchemaParity(t *testing.T) {
	schemas := map[string][]string{}
	for _, b := range shared {
		var cols []string
		var q string
		switch b.name {
		case models.DialectPostgres:
			q = `SELECT table_name || '.' || column_name FROM information_schema.columns
				WHERE table_schema = 'public' ORDER BY 1`
		default:
			q = `SELECT m.name || '.' || p.name FROM sqlite_master m JOIN pragma_table_xinfo(m.name) p
				WHERE m.type IN ('table', 'view') AND m.name NOT LIKE 'sqlite_%' ORDER BY 1`
		}
		if err := b.store.DB().Raw(q).Scan(&cols).Error; err != nil {
			t.Fatalf("%s: %v", b.name, err)
		}
		var kept []string
		for _, c := range cols {
			table, _, _ := strings.Cut(c, ".")
			if schemaOnlyIn[c] == b.name || schemaOnlyIn[table] == b.name || strings.HasPrefix(table, "events_fts_") {
				continue
			}
			kept = append(kept, c)
		}
		if len(kept) < 50 {
			t.Fatalf("%s: got %d columns, want the whole schema", b.name, len(kept))
		}
		schemas[b.name] = kept
	}
	if len(schemas) < 2 {
		t.Skipf("needs both databases; PostgreSQL skipped: %s", pgSkipWhy)
	}
	if diff := cmp.Diff(schemas[models.DialectPostgres], schemas[models.DialectSQLite]); diff != "" {
		t.Errorf("tables and columns differ (-postgres +sqlite):\n%s", diff)
	}
}
