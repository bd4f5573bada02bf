//go:build !race

package ddemu_test

const raceEnabled = false
