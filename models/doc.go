// Package models holds the timeline's domain types, their validation, the
// date model (EDTF and precision), the versioned schema migrations and the
// GORM-backed store. It never imports net/http or gin: transport lives in
// package api.
package models
