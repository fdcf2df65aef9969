package models

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// The catalogs a page's relations name (actors with their aliases, places,
// sources) are small next to the events that link them, so a PostgreSQL
// store without replicas keeps them in memory, keyed by the dataset
// version they were read at (see DatasetState), and a page's relations
// statement reads only the link tables by event id; names come from the
// catalogs. Any write moves the version, so the next page after a write
// through this store reads the catalogs again, and a write through another
// process within the dataset state's bound (a notification, at most
// stateBound). A link to an id the catalogs lack (a page read after a
// write that the held version does not cover yet) sends the page down the
// joined statement instead. This holds because every change to these
// tables commits with a move of the version in the same transaction (a
// Save method called outside one runs as a write of its own, see upsert),
// and a read inside a write's transaction, which sees the write's changes
// before its version moves, never uses the catalogs (depth, no state).
// With replicas there is no in-process version to key on (see
// UseReplicas), and on SQLite the joins are in process: both always join.

// catalogCap bounds the rows (actors, aliases, places, sources) that the
// catalogs hold: a larger dataset is joined in the database, so memory
// stays bounded (about 200 bytes a row plus its text: some tens of MB at
// most). The generated benchmark data has ~1,200 rows at any size.
const catalogCap = 100_000

// relationCatalogs is one consistent read of the catalogs.
type relationCatalogs struct {
	version  int64
	tooLarge bool
	actors   map[string]Actor
	places   map[string]Place
	sources  map[string]Source
}

// catalogCache holds the latest relationCatalogs; loads run one at a time.
type catalogCache struct {
	cur  atomic.Pointer[relationCatalogs]
	load sync.Mutex
}

// catalogs returns the relation catalogs at least as new as the dataset
// state, or nil when this store does not cache them (SQLite, replicas,
// inside a transaction, no listener) or they are over catalogCap.
func (s *Store) catalogs(ctx context.Context) (*relationCatalogs, error) {
	if s.state == nil || s.depth > 0 || s.dialect != DialectPostgres {
		return nil, nil
	}
	st, ok := s.state.get()
	if !ok {
		// Past the state's bound (a read of one event does not read the
		// dataset state otherwise, so the held state ages): read it, at
		// most once per bound while listening.
		if _, err := s.DatasetState(ctx); err != nil {
			return nil, err
		}
		if st, ok = s.state.get(); !ok {
			return nil, nil // not listening, or the state is being refreshed: join
		}
	}
	cc := &s.state.catalogs
	if c := cc.cur.Load(); c != nil && c.version >= st.Version {
		return usable(c), nil
	}
	cc.load.Lock()
	defer cc.load.Unlock()
	if c := cc.cur.Load(); c != nil && c.version >= st.Version {
		return usable(c), nil
	}
	c, err := s.loadCatalogs(ctx)
	if err != nil {
		return nil, err
	}
	cc.cur.Store(c)
	return usable(c), nil
}

func usable(c *relationCatalogs) *relationCatalogs {
	if c.tooLarge {
		return nil
	}
	return c
}

// loadCatalogs reads the dataset version and every catalog in one
// read-only REPEATABLE READ transaction, so that the version names exactly
// the content read.
func (s *Store) loadCatalogs(ctx context.Context) (*relationCatalogs, error) {
	c := &relationCatalogs{actors: map[string]Actor{}, places: map[string]Place{}, sources: map[string]Source{}}
	pool, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	tx, err := pool.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, translate(err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	var rowCount int
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT version FROM dataset_state WHERE id = 1),
		(SELECT count(*) FROM actors) + (SELECT count(*) FROM actor_aliases) + (SELECT count(*) FROM places)
		+ (SELECT count(*) FROM sources)`).Scan(&c.version, &rowCount); err != nil {
		return nil, translate(err)
	}
	if rowCount > catalogCap {
		c.tooLarge = true
		return c, nil
	}
	rows, err := tx.QueryContext(ctx, catalogQuery(s.dialect, func(string) string { return "TRUE" }))
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	if err := scanCatalog(rows, c.actors, c.places, c.sources); err != nil {
		return nil, err
	}
	return c, nil
}

// catalogQuery is the statement of uniform rows that reads actors (kind
// 0), their aliases (1, in position order), places (2) and sources (3),
// each arm restricted by where(its id column): "TRUE" for all of them.
// The pages' catalogs (loadCatalogs) and an export's (loadCatalog) read
// through it, and scanCatalog decodes it.
func catalogQuery(dialect string, where func(col string) string) string {
	published := "so.published"
	if dialect == DialectPostgres {
		published = "so.published::text"
	}
	return `SELECT 0 AS k, a.id AS owner, 0 AS pos, a.name AS c1, a.kind AS c2, NULL AS c3, NULL AS c4,
		NULL AS c5, NULL AS c6, NULL AS c7, NULL AS c8, NULL AS c9 FROM actors a WHERE ` + where("a.id") + `
	UNION ALL SELECT 1, aa.actor_id, aa.position, aa.alias, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
	FROM actor_aliases aa WHERE ` + where("aa.actor_id") + `
	UNION ALL SELECT 2, pl.id, 0, pl.name, pl.kind, pl.country_id, NULL, NULL, NULL, NULL, NULL, NULL
	FROM places pl WHERE ` + where("pl.id") + `
	UNION ALL SELECT 3, so.id, 0, so.title, so.author, so.publisher, ` + published + `, so.url, so.note,
		so.issue, so.author_affiliations, so.outside_fields FROM sources so WHERE ` + where("so.id") + `
	ORDER BY 1, 2, 3`
}

// scanCatalog decodes the rows of catalogQuery into the maps; each actor
// read gets its aliases. The slices it stores are clipped, so that an
// append by a reader copies instead of writing into shared data.
func scanCatalog(rows *sql.Rows, actors map[string]Actor, places map[string]Place, sources map[string]Source) error {
	var (
		kind, pos int
		id        string
		v         [9]sql.NullString
		aliases   = map[string][]string{}
		loaded    []string
	)
	for rows.Next() {
		if err := rows.Scan(&kind, &id, &pos, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]); err != nil {
			return translate(err)
		}
		switch kind {
		case 0:
			actors[id] = Actor{ID: id, Name: v[0].String, Kind: v[1].String}
			loaded = append(loaded, id)
		case 1:
			aliases[id] = append(aliases[id], v[0].String)
		case 2:
			places[id] = Place{ID: id, Name: v[0].String, Kind: v[1].String, Country: v[2].String}
		case 3:
			var published Date
			if v[3].Valid && v[3].String != "" {
				if err := published.scanString(v[3].String); err != nil {
					return err
				}
			}
			sources[id] = Source{ID: id, Title: v[0].String, Author: v[1].String, Publisher: v[2].String,
				Published: published, URL: v[4].String, Note: v[5].String, Issue: v[6].String,
				AuthorAffiliations: clip(parseList(v[7].String)), OutsideFields: clip(parseList(v[8].String))}
		}
	}
	if err := rows.Err(); err != nil {
		return translate(err)
	}
	for _, id := range loaded {
		a := actors[id]
		a.Aliases = clip(nonNil(aliases[id]))
		actors[id] = a
	}
	return nil
}

// clip makes a shared slice copy on append, so that no response can change
// the catalogs.
func clip(s []string) []string { return s[:len(s):len(s)] }
