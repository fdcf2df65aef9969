package models

import (
	"context"
	"time"
)

// DatasetState identifies the current content of the whole dataset. Version
// grows with every write that changes data, in the same transaction, so a
// response derived from the data can be cached until Version moves.
type DatasetState struct {
	Version   int64
	UpdatedAt time.Time
}

// DatasetState returns the dataset's current version and time of change.
func (s *Store) DatasetState(ctx context.Context) (DatasetState, error) {
	var row struct {
		Version   int64     `gorm:"column:version"`
		UpdatedAt time.Time `gorm:"column:updated_at"`
	}
	if err := s.db.WithContext(ctx).Raw("SELECT version, updated_at FROM dataset_state WHERE id = 1").
		Scan(&row).Error; err != nil {
		return DatasetState{}, translate(err)
	}
	return DatasetState{Version: row.Version, UpdatedAt: row.UpdatedAt.UTC()}, nil
}
