package models

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationFS embed.FS

// Migration is one versioned schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the embedded migrations for dialect, in order.
func Migrations(dialect string) ([]Migration, error) {
	dir := path.Join("migrations", dialect)
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("no migrations for dialect %q: %w", dialect, err)
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a number and '_'", name)
		}
		b, err := migrationFS.ReadFile(path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(name, ".sql"), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("two migrations share version %d", out[i].Version)
		}
	}
	return out, nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at text NOT NULL
)`

// SchemaStatus reports the newest applied migration and the newest known one.
func (s *Store) SchemaStatus(ctx context.Context) (applied, latest int, err error) {
	all, err := Migrations(s.dialect)
	if err != nil {
		return 0, 0, err
	}
	if len(all) > 0 {
		latest = all[len(all)-1].Version
	}
	db := s.db.WithContext(ctx)
	if !db.Migrator().HasTable("schema_migrations") {
		return 0, latest, nil
	}
	var v *int
	if err := db.Raw("SELECT max(version) FROM schema_migrations").Scan(&v).Error; err != nil {
		return 0, 0, translate(err)
	}
	if v != nil {
		applied = *v
	}
	return applied, latest, nil
}

// Migrate applies every migration newer than the schema, each in its own
// transaction, and records it in schema_migrations. On PostgreSQL an advisory
// lock keeps two migrators from racing. It returns the versions applied.
func (s *Store) Migrate(ctx context.Context) ([]int, error) {
	all, err := Migrations(s.dialect)
	if err != nil {
		return nil, err
	}
	// In a write transaction under the migrations' lock, so that it waits
	// for another migrator as the migrations do.
	err = s.InTx(ctx, func(tx *Store) error {
		if err := tx.sql.lockMigrations(tx.db); err != nil {
			return err
		}
		return tx.db.Exec(createMigrationsTable).Error
	})
	if err != nil {
		return nil, translate(err)
	}
	var applied []int
	for _, m := range all {
		done := false
		err := s.InTx(ctx, func(tx *Store) error {
			if err := tx.sql.lockMigrations(tx.db); err != nil {
				return err
			}
			var n int64
			if err := tx.db.Raw("SELECT count(*) FROM schema_migrations WHERE version = ?", m.Version).Scan(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				done = true
				return nil
			}
			if err := tx.db.Exec(m.SQL).Error; err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			return tx.db.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
				m.Version, m.Name, time.Now().UTC().Format(time.RFC3339)).Error
		})
		if err != nil {
			return applied, translate(err)
		}
		if !done {
			applied = append(applied, m.Version)
		}
	}
	return applied, nil
}
