//go:build !race

package tests

// raceEnabled is true when the tests run with -race.
const raceEnabled = false
