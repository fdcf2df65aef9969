package tests

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/csto-timeline/timeline/models"
)

// TestDatasetStateInMemory checks that on PostgreSQL a conditional request
// is answered from the dataset version held in memory, without a query,
// and that a change made by another process (another connection, not this
// store) still reaches the ETag: the dataset_state trigger notifies, the
// store listens.
func TestDatasetStateInMemory(t *testing.T) {
	for _, b := range freshBackends(t) {
		if b.name != models.DialectPostgres {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			var reads atomic.Int64
			if err := b.store.DB().Callback().Row().Before("gorm:row").Register("test:count_state", func(tx *gorm.DB) {
				if strings.Contains(tx.Statement.SQL.String(), "dataset_state") {
					reads.Add(1)
				}
			}); err != nil {
				t.Fatal(err)
			}
			const path = "/v1/events?year=2019"
			etag := b.get(t, path).header.Get("ETag")
			before := reads.Load()
			for range 20 {
				if r := b.do(t, http.MethodGet, path, http.Header{"If-None-Match": {etag}}); r.status != http.StatusNotModified {
					t.Fatalf("got %d, want 304", r.status)
				}
			}
			// The cache holds for up to a second; 20 requests take far less
			// on any machine, but allow one refresh.
			if n := reads.Load() - before; n > 1 {
				t.Errorf("20 conditional requests read dataset_state %d times, want at most 1", n)
			}

			other, err := gorm.Open(postgres.Open(b.dsn), &gorm.Config{Logger: logger.Discard})
			if err != nil {
				t.Fatal(err)
			}
			sqlDB, _ := other.DB()
			defer sqlDB.Close()
			if err := other.Exec("UPDATE dataset_state SET version = version + 1, updated_at = now()").Error; err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				r := b.do(t, http.MethodGet, path, http.Header{"If-None-Match": {etag}})
				if r.status == http.StatusOK && r.header.Get("ETag") != etag {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("a change by another connection never reached the ETag: got %d", r.status)
				}
				time.Sleep(5 * time.Millisecond)
			}
			var v int64
			if err := other.WithContext(context.Background()).Raw("SELECT version FROM dataset_state").Scan(&v).Error; err != nil {
				t.Fatal(err)
			}
			st, err := b.store.DatasetState(context.Background())
			if err != nil || st.Version != v {
				t.Errorf("got version %d (%v), want %d", st.Version, err, v)
			}
		})
	}
}
