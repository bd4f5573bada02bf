package odooemu_test

import (
	"testing"
	"time"

	"github.com/odoo-dotdigital-sync/odoo-dotdigital-sync/emulators/odoo/odooemu"
)

func BenchmarkSeedOnly(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := odooemu.New(odooemu.Options{SeedCustomers: 100_000, Seed: 1, SeedEnd: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			b.Fatal(err)
		}
	}
}
