package models

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Multi-row writes, for imports: a batch of rows goes to the database in
// one statement per table on PostgreSQL (INSERT … SELECT FROM unnest of
// one array per column, whatever the number of rows) and in a few
// prepared multi-row statements on SQLite. The statements run on the
// transaction's connection directly, not through GORM, which would expand
// each slice into a list of placeholders.

// idsIn returns a condition that column is one of ids, and its argument:
// one array parameter on PostgreSQL (measured faster to plan and run than
// a placeholder per id, see readRelations), a list on SQLite.
func (s *Store) idsIn(column string, ids []string) (string, any) {
	if s.dialect != DialectPostgres {
		return column + " IN ?", ids
	}
	return column + " = ANY(CAST(? AS text[]))", pgTextArray(ids)
}

// pgTextArray writes ids as a PostgreSQL array literal.
func pgTextArray(ids []string) string {
	quote := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	var b strings.Builder
	b.WriteByte('{')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(quote.Replace(id))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// bulkRows collects the rows of one table for a multi-row write.
type bulkRows struct {
	table string
	cols  []string
	// types are the PostgreSQL types of the columns: text, bigint,
	// integer, boolean, date (given as "YYYY-MM-DD") or timestamptz.
	// A text value may be nil (NULL).
	types []string
	// vals holds the rows one after the other.
	vals []any
}

// newBulk starts the rows of table, whose columns are given as "name type".
func newBulk(table string, cols ...string) *bulkRows {
	b := &bulkRows{table: table}
	for _, c := range cols {
		name, typ, _ := strings.Cut(c, " ")
		b.cols, b.types = append(b.cols, name), append(b.types, typ)
	}
	return b
}

func (b *bulkRows) add(vals ...any) {
	if len(vals) != len(b.cols) {
		panic(fmt.Sprintf("bulkRows %s: %d values for %d columns", b.table, len(vals), len(b.cols)))
	}
	b.vals = append(b.vals, vals...)
}

func (b *bulkRows) len() int { return len(b.vals) / len(b.cols) }

func (b *bulkRows) reset() { b.vals = b.vals[:0] }

// pgArrays returns the rows as one typed array per column, and the
// unnest(…) that reads them as $first, $first+1, ….
func (b *bulkRows) pgArrays(first int) (string, []any) {
	n, w := b.len(), len(b.cols)
	args := make([]any, w)
	ph := make([]string, w)
	for c, typ := range b.types {
		ph[c] = fmt.Sprintf("$%d::%s[]", first+c, typ)
		switch typ {
		case "bigint", "integer":
			a := make([]int64, n)
			for r := range n {
				switch v := b.vals[r*w+c].(type) {
				case int:
					a[r] = int64(v)
				case int64:
					a[r] = v
				}
			}
			args[c] = a
		case "boolean":
			a := make([]bool, n)
			for r := range n {
				a[r] = b.vals[r*w+c].(bool)
			}
			args[c] = a
		case "timestamptz":
			a := make([]time.Time, n)
			for r := range n {
				a[r] = b.vals[r*w+c].(time.Time)
			}
			args[c] = a
		default: // text and date
			a := make([]*string, n)
			for r := range n {
				if v, ok := b.vals[r*w+c].(string); ok {
					a[r] = &v
				}
			}
			args[c] = a
		}
	}
	return "unnest(" + strings.Join(ph, ", ") + ")", args
}

// bulkWriter runs a transaction's multi-row statements, keeping SQLite's
// prepared statements until close.
type bulkWriter struct {
	s     *Store
	stmts map[string]*sql.Stmt
}

func (s *Store) newBulkWriter() *bulkWriter { return &bulkWriter{s: s, stmts: map[string]*sql.Stmt{}} }

// sqliteRowsPerStatement bounds the rows of one SQLite INSERT, well under
// its limit of 32,766 parameters.
const sqliteRowsPerStatement = 100

// exec runs q with args on the transaction's connection; on SQLite as a
// statement prepared once per import.
func (w *bulkWriter) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	pool := w.s.db.Statement.ConnPool
	if w.s.dialect == DialectPostgres {
		res, err := pool.ExecContext(ctx, q, args...)
		return res, translate(err)
	}
	st, ok := w.stmts[q]
	if !ok {
		var err error
		if st, err = pool.PrepareContext(ctx, q); err != nil {
			return nil, translate(err)
		}
		w.stmts[q] = st
	}
	res, err := st.ExecContext(ctx, args...)
	return res, translate(err)
}

// insert writes b's rows and empties it.
func (w *bulkWriter) insert(ctx context.Context, b *bulkRows) error {
	defer b.reset()
	if b.len() == 0 {
		return nil
	}
	cols := strings.Join(b.cols, ", ")
	if w.s.dialect == DialectPostgres {
		from, args := b.pgArrays(1)
		_, err := w.exec(ctx, "INSERT INTO "+b.table+" ("+cols+") SELECT * FROM "+from, args...)
		return err
	}
	width := len(b.cols)
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	for vals := b.vals; len(vals) > 0; {
		n := min(len(vals)/width, sqliteRowsPerStatement)
		q := "INSERT INTO " + b.table + " (" + cols + ") VALUES " + strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
		if _, err := w.exec(ctx, q, vals[:n*width]...); err != nil {
			return err
		}
		vals = vals[n*width:]
	}
	return nil
}

// deleteIDs deletes the rows of table whose column is one of ids.
func (w *bulkWriter) deleteIDs(ctx context.Context, table, column string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	cond, arg := w.s.idsIn(column, ids)
	return translate(w.s.db.WithContext(ctx).Exec("DELETE FROM "+table+" WHERE "+cond, arg).Error)
}

func (w *bulkWriter) close() {
	for q, st := range w.stmts {
		_ = st.Close()
		delete(w.stmts, q)
	}
}
