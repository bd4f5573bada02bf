package customer

import (
	"slices"
	"testing"
)

// A forced plan (resync) repairs what was changed in Dotdigital behind the
// sync's back, given a snapshot of Dotdigital's real state (Adopt): it
// re-adds every desired list and deletes records no order has.
func TestForceReaddsListsAndDeletesStrayRecords(t *testing.T) {
	d := Build(guestAndAccount(), settings)
	real := Full(d)
	real.Lists = []string{"Odoo Customers"} // removed from "VIP Customers" in Dotdigital
	real.Orders["stray"] = "x"              // a record no Odoo order has
	p := PlanFor(d, real, true)
	if !slices.Equal(p.AddLists, d.Lists) {
		t.Errorf("add lists %v, want every desired list %v", p.AddLists, d.Lists)
	}
	if !slices.Equal(p.DeleteOrders, []string{"stray"}) {
		t.Errorf("delete orders %v, want [stray]", p.DeleteOrders)
	}
	if len(p.Orders) != len(d.Orders) || p.NewContact {
		t.Errorf("force rewrites every record of an existing contact: %+v", p)
	}

	// Lists the sync wrote that are no longer desired are still left.
	real = Full(d)
	real.Lists = append(real.Lists, "Old Tag List")
	if p := PlanFor(d, real, true); !slices.Equal(p.RemoveLists, []string{"Old Tag List"}) {
		t.Errorf("remove lists %v", p.RemoveLists)
	}
}
