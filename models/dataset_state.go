package models

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

// DatasetState identifies the current content of the whole dataset. Version
// grows with every write that changes data, in the same transaction, so a
// response derived from the data can be cached until Version moves.
type DatasetState struct {
	Version   int64
	UpdatedAt time.Time
}

// stateBound is how long a PostgreSQL store trusts the dataset state it
// holds in memory without hearing of a change: the backstop for a missed
// notification (a listener reconnecting) or a write that bypassed the
// dataset_state trigger of migration 0005.
const stateBound = time.Second

// DatasetState returns the dataset's current version and time of change.
// On PostgreSQL it is held in memory and dropped when the database
// announces a change (LISTEN timeline_dataset_state, sent by a trigger on
// every update of dataset_state, whichever process wrote), when this store
// writes through its own handle, and at the latest after stateBound. On
// SQLite it is read each time: the read is in process and cheap.
func (s *Store) DatasetState(ctx context.Context) (DatasetState, error) {
	if st, ok := s.state.get(); ok {
		return st, nil
	}
	gen := s.state.generation()
	st, err := s.readDatasetState(ctx)
	if err != nil {
		return DatasetState{}, err
	}
	s.state.put(st, gen)
	return st, nil
}

func (s *Store) readDatasetState(ctx context.Context) (DatasetState, error) {
	var (
		version int64
		updated time.Time
	)
	if err := s.db.WithContext(ctx).Raw("SELECT version, updated_at FROM dataset_state WHERE id = 1").
		Row().Scan(&version, &updated); err != nil {
		return DatasetState{}, translate(err)
	}
	return DatasetState{Version: version, UpdatedAt: updated.UTC()}, nil
}

// stateCache holds the dataset state of a PostgreSQL store. A nil
// *stateCache caches nothing.
type stateCache struct {
	mu      sync.Mutex
	st      DatasetState
	valid   bool
	fetched time.Time
	// gen counts invalidations, so that a state read before one is not
	// stored after it.
	gen uint64
	// listening is set while a connection LISTENs for changes; only then
	// is a state kept.
	listening bool
	cancel    context.CancelFunc
	done      chan struct{}
	// catalogs are the relation catalogs read at some version (see
	// relation_catalog.go); they live and go with the state.
	catalogs catalogCache
}

func (c *stateCache) get() (DatasetState, bool) {
	if c == nil {
		return DatasetState{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.valid || time.Since(c.fetched) > stateBound {
		return DatasetState{}, false
	}
	return c.st, true
}

func (c *stateCache) generation() uint64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *stateCache) put(st DatasetState, gen uint64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen && c.listening {
		c.st, c.valid, c.fetched = st, true, time.Now()
	}
}

func (c *stateCache) invalidate() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.valid = false
	c.gen++
	c.mu.Unlock()
}

// newStateCache starts listening for dataset changes on dsn and registers
// a GORM callback that drops the cached state after every statement this
// process executes (writes go through Exec).
func newStateCache(db *gorm.DB, dsn string) (*stateCache, error) {
	ctx, cancel := context.WithCancel(context.Background())
	c := &stateCache{cancel: cancel, done: make(chan struct{})}
	drop := func(*gorm.DB) { c.invalidate() }
	cb := db.Callback()
	for _, err := range []error{
		cb.Raw().After("gorm:raw").Register("timeline:state_raw", drop),
		cb.Create().After("gorm:create").Register("timeline:state_create", drop),
		cb.Update().After("gorm:update").Register("timeline:state_update", drop),
		cb.Delete().After("gorm:delete").Register("timeline:state_delete", drop),
	} {
		if err != nil {
			cancel()
			return nil, err
		}
	}
	go c.listen(ctx, dsn)
	return c, nil
}

// listen keeps a connection LISTENing and drops the cached state on every
// notification. While it is not connected the cache holds nothing.
func (c *stateCache) listen(ctx context.Context, dsn string) {
	defer close(c.done)
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		conn, err := pgx.Connect(ctx, dsn)
		if err == nil {
			_, err = conn.Exec(ctx, "LISTEN timeline_dataset_state")
			if err == nil {
				// Anything may have changed while not listening.
				c.invalidate()
				c.setListening(true)
				backoff = 100 * time.Millisecond
				for err == nil {
					_, err = conn.WaitForNotification(ctx)
					c.invalidate()
				}
				c.setListening(false)
			}
			conn.Close(context.Background())
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
			backoff = min(2*backoff, 5*time.Second)
		}
	}
}

// setListening turns caching on or off: without a listener, changes made
// by other processes would go unseen until stateBound.
func (c *stateCache) setListening(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !on {
		c.valid = false
		c.gen++
	}
	c.listening = on
}

func (c *stateCache) close() {
	if c == nil {
		return
	}
	c.cancel()
	<-c.done
}
